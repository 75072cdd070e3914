/// Where something came from in a spec file: 1-based line and column, as editors count.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem in a spec: where, at which key path, and what was expected against what was found.
public struct SpecDiagnostic: Error, Hashable, Sendable, CustomStringConvertible, Comparable {
    public var location: SourceLocation
    /// The key path, e.g. `domains.example.test.mx[1]`.
    public var path: String
    public var message: String
    public var expected: String?
    public var found: String?
    /// The nearest valid key, for unknown keys.
    public var suggestion: String?

    public init(
        _ location: SourceLocation, path: String, _ message: String, expected: String? = nil, found: String? = nil,
        suggestion: String? = nil
    ) {
        self.location = location
        self.path = path
        self.message = message
        self.expected = expected
        self.found = found
        self.suggestion = suggestion
    }

    /// One line: control characters in the path and in what was found are escapes (`terminalSafe`), so that a
    /// value with CR or LF cannot break it.
    public var description: String {
        var out = "\(location): error: \(path.isEmpty ? "" : "\(terminalSafe(path)): ")\(message)"
        if let expected { out += "; expected \(expected)" }
        if let found { out += ", found \(terminalSafe(found))" }
        if let suggestion { out += "; did you mean `\(suggestion)`?" }
        return out
    }

    public static func < (a: SpecDiagnostic, b: SpecDiagnostic) -> Bool {
        (a.location, a.path, a.message) < (b.location, b.path, b.message)
    }
}

/// Every problem of a load or compile, sorted by place.
public struct SpecErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SpecDiagnostic]
    public init(_ diagnostics: [SpecDiagnostic]) { self.diagnostics = diagnostics.sorted() }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Levenshtein distance, for "did you mean".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased().utf8)
    let b = Array(b.lowercased().utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The nearest candidate when it is close enough to be a plausible typo.
public func nearest(_ word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    guard let best = scored.first else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}
