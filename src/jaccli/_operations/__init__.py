"""_operations"""
