"""The NumPy multilayer perceptron: layers, optimizers, schedules, the network and its trainer."""
