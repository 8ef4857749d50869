"""benchtui.bench"""
