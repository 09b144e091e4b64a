"""_load"""
