// Typo suggestions: the candidate with the smallest edit distance, if it is close enough.

/// The candidate nearest to `word` by Levenshtein distance, when at most a third of the word's
/// letters (and at least one) differ, but not all of them (`d` is no typo of `a`); ties go to the
/// earlier candidate.
func nearestName(to word: String, in candidates: [String]) -> String? {
    let limit = max(1, word.count / 3)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != word {
        let d = editDistance(word.lowercased(), candidate.lowercased())
        if d <= limit, d < word.count, d < (best?.distance ?? Int.max) { best = (candidate, d) }
    }
    return best?.name
}

/// Levenshtein distance (insert, delete, substitute each cost 1) over Unicode characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
