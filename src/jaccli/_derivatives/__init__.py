"""_derivatives"""
