"""_check"""
