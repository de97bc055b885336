// The version of the engine's numerics, which every pipeline stage key includes.

/// The engine's numerics version: part of every pipeline stage key, so bump it whenever a change
/// could alter any computed bit (kernels, reduction order, initialisers, RNG).
public let engineVersion = 3
