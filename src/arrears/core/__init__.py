"""The pure domain core: values and functions named after what a credit controller says.

Nothing in here does I/O, reads a clock or imports the store, the web or the network.
"""
