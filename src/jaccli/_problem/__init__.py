"""_problem"""
