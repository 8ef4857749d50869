"""benchtui.tui"""
