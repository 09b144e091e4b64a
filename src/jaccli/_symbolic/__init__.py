"""_symbolic"""
