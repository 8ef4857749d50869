"""benchtui.sim.twin"""
