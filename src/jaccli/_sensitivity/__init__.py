"""_sensitivity"""
