// Concatenation along dimension 1 (channels of [N, C, H, W], features of [N, F]) and its backward.
// DenseNet avoids these copies with channel-slice views; this is the general-purpose version.

/// Joins `parts` along dimension 1. All parts share the batch size and the dimensions after 1.
public func concatenateChannels(_ parts: [Tensor]) -> Tensor {
    precondition(!parts.isEmpty, "concatenateChannels: no tensors")
    let first = parts[0].shape
    precondition(first.count >= 2, "concatenateChannels: needs at least 2 dimensions, got \(first)")
    for p in parts {
        precondition(p.shape.count == first.count && p.shape[0] == first[0] && p.shape[2...] == first[2...],
                     "concatenateChannels: \(p.shape) does not match \(first) outside dimension 1")
    }
    var shape = first
    shape[1] = parts.reduce(0) { $0 + $1.shape[1] }
    let y = Tensor(zeros: shape)
    let batch = first[0], rowLength = y.count / max(batch, 1)
    parallelFor(chunks: batch) { n in
        var offset = n * rowLength
        for p in parts {
            let length = p.count / batch
            (y.data + offset).update(from: p.data + n * length, count: length)
            offset += length
        }
    }
    return y
}

/// The backward of `concatenateChannels`: `dy` cut back into tensors of `channelCounts` channels.
public func splitChannels(_ dy: Tensor, channelCounts: [Int]) -> [Tensor] {
    precondition(channelCounts.reduce(0, +) == dy.shape[1],
                 "splitChannels: counts \(channelCounts) do not add up to the \(dy.shape[1]) of \(dy.shape)")
    let batch = dy.shape[0], rowLength = dy.count / max(batch, 1), perChannel = rowLength / max(dy.shape[1], 1)
    let parts = channelCounts.map { c -> Tensor in
        var shape = dy.shape
        shape[1] = c
        return Tensor(zeros: shape)
    }
    parallelFor(chunks: batch) { n in
        var offset = n * rowLength
        for p in parts {
            let length = p.shape[1] * perChannel
            (p.data + n * length).update(from: dy.data + offset, count: length)
            offset += length
        }
    }
    return parts
}
