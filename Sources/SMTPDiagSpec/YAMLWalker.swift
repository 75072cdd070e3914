import Foundation

/// Walks a composed YAML tree for the loader: knows the file, the key path and every node's mark,
/// and collects diagnostics instead of stopping at the first. YAML nodes never leave the loader.
struct YAMLWalker {
    let file: String
    /// Only the variables a spec may read (see `SpecLoader.environment`).
    let environment: [String: String]
    let allowedVariables: Set<String>
    var diagnostics: [SpecDiagnostic] = []
    /// Nodes visited so far; aliases can make a small file expand enormously (billion laughs).
    var visited = 0
    let maxVisits: Int

    init(file: String, environment: [String: String], allowedVariables: Set<String> = [], maxVisits: Int) {
        self.file = file
        self.environment = environment
        self.allowedVariables = allowedVariables
        self.maxVisits = maxVisits
    }

    func location(_ node: YNode) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func error(
        _ node: YNode, _ path: String, _ message: String, expected: String? = nil, found: String? = nil,
        suggestion: String? = nil
    ) {
        diagnostics.append(
            SpecDiagnostic(
                location(node), path: path, message, expected: expected, found: found, suggestion: suggestion))
    }

    /// Counts a visit; false once the budget is spent (one diagnostic says so).
    mutating func visit(_ node: YNode, _ path: String) -> Bool {
        visited += 1
        if visited == maxVisits + 1 {
            error(
                node, path,
                "the document expands to more than \(maxVisits) nodes (YAML aliases?); refusing to read further")
        }
        return visited <= maxVisits
    }

    /// What a node is, for "found ..." in messages.
    static func describe(_ node: YNode) -> String {
        switch node {
        case .scalar(let s):
            if s.plain && (s.string == "null" || s.string == "~" || s.string.isEmpty) { return "null" }
            let text = s.string.count > 40 ? String(s.string.prefix(40)) + "..." : s.string
            return "\"\(text)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    // MARK: - Mappings

    /// The key-value pairs of a mapping with YAML merge keys (`<<: *anchor`) applied: merged pairs
    /// come first and keys written in the mapping itself win.
    mutating func pairs(_ m: YMapping, _ path: String) -> [(YNode, YNode)] {
        var merged: [(YNode, YNode)] = []
        var own: [(YNode, YNode)] = []
        for (k, v) in m {
            if case .scalar(let ks) = k, ks.string == "<<", ks.plain {
                let sources: [YNode]
                if case .sequence(let list) = v { sources = list.items } else { sources = [v] }
                for source in sources {
                    guard case .mapping(let sm) = source else {
                        error(
                            source, path, "a merge key (<<) takes a mapping or a list of mappings",
                            found: Self.describe(source))
                        continue
                    }
                    merged += pairs(sm, path)
                }
            } else {
                own.append((k, v))
            }
        }
        guard !merged.isEmpty else { return own }
        let ownKeys = Set(own.compactMap { if case .scalar(let s) = $0.0 { return s.string } else { return nil } })
        return merged.filter {
            if case .scalar(let s) = $0.0 { return !ownKeys.contains(s.string) } else { return true }
        } + own
    }

    /// The pairs of a mapping whose keys are all in `known`; reports unknown keys with a suggestion.
    mutating func mapping(_ node: YNode, _ path: String, known: [String], what: String) -> [(String, YNode, YNode)]? {
        guard let all = freeMapping(node, path, what: what) else { return nil }
        var out: [(String, YNode, YNode)] = []
        for (key, k, v) in all {
            guard known.contains(key) else {
                error(
                    k, join(path, key), "unknown key `\(key)`", expected: "one of " + known.joined(separator: ", "),
                    suggestion: nearest(key, in: known))
                continue
            }
            out.append((key, k, v))
        }
        return out
    }

    /// The pairs of a mapping with free-form keys (domain names, server names, recipients).
    mutating func freeMapping(_ node: YNode, _ path: String, what: String) -> [(String, YNode, YNode)]? {
        guard visit(node, path) else { return nil }
        guard case .mapping(let m) = node else {
            error(node, path, "wrong type", expected: what, found: Self.describe(node))
            return nil
        }
        var out: [(String, YNode, YNode)] = []
        for (k, v) in pairs(m, path) {
            guard case .scalar(let ks) = k else {
                error(k, path, "keys must be plain strings", found: Self.describe(k))
                continue
            }
            out.append((ks.string, k, v))
        }
        return out
    }

    mutating func sequence(_ node: YNode, _ path: String, what: String) -> [YNode]? {
        guard visit(node, path) else { return nil }
        guard case .sequence(let s) = node else {
            error(node, path, "wrong type", expected: what, found: Self.describe(node))
            return nil
        }
        return s.items
    }

    // MARK: - Scalars

    /// A string scalar with `${NAME}` and `${NAME:-default}` expanded.
    mutating func string(_ node: YNode, _ path: String, what: String = "a string") -> String? {
        guard visit(node, path) else { return nil }
        guard case .scalar(let s) = node else {
            error(node, path, "wrong type", expected: what, found: Self.describe(node))
            return nil
        }
        if s.plain && (s.string == "null" || s.string == "~") {
            error(node, path, "missing value", expected: what, found: "null")
            return nil
        }
        return expand(s.string, node, path)
    }

    /// Whether the scalar was written without quotes (so `250` is a number, `"250"` a string).
    static func isPlain(_ node: YNode) -> Bool {
        if case .scalar(let s) = node { return s.plain }
        return false
    }

    mutating func integer(_ node: YNode, _ path: String, range: ClosedRange<Int64>, what: String) -> Int64? {
        guard let text = string(node, path, what: what) else { return nil }
        guard let v = Int64(text.replacingOccurrences(of: "_", with: "")), range.contains(v) else {
            error(node, path, "not a valid number", expected: what, found: Self.describe(node))
            return nil
        }
        return v
    }

    mutating func bool(_ node: YNode, _ path: String) -> Bool? {
        guard let text = string(node, path, what: "true or false") else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            error(node, path, "wrong type", expected: "true or false", found: Self.describe(node))
            return nil
        }
    }

    /// `500ms`, `2s`, `1m`, `1h`, `1.5s`; at most `SpecDuration.maximum`.
    mutating func duration(_ node: YNode, _ path: String) -> Duration? {
        let what = SpecDuration.form
        guard let text = string(node, path, what: what) else { return nil }
        switch SpecDuration.parse(text) {
        case .success(let d): return d
        case .failure(let e):
            error(node, path, "\(e)", expected: what, found: Self.describe(node))
            return nil
        }
    }

    // MARK: - Environment

    /// Expands `${NAME}` and `${NAME:-default}`; `$${` is a literal `${`. An unset variable without a default
    /// is an error, and so is any variable a spec may not read (not `SMTPDIAG_*`, not allowed by `--env`).
    mutating func expand(_ text: String, _ node: YNode, _ path: String) -> String? {
        guard Self.hasVariable(text) else { return text }
        var out = ""
        var rest = Substring(text)
        var ok = true
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex, rest[rest.index(before: open.lowerBound)] == "$" {
                // `$${`: the first `$` escapes the rest; it is written as `${`.
                out += rest[..<rest.index(before: open.lowerBound)]
                out += "${"
                rest = rest[open.upperBound...]
                continue
            }
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                error(node, path, "unterminated ${ in \"\(text)\"")
                return nil
            }
            let inner = rest[open.upperBound..<close]
            let name: Substring
            var fallback: Substring? = nil
            if let sep = inner.range(of: ":-") {
                name = inner[..<sep.lowerBound]
                fallback = inner[sep.upperBound...]
            } else {
                name = inner
            }
            let valid =
                !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
                && !(name.first?.isNumber ?? true)
            if !valid {
                error(node, path, "invalid variable name `\(name)` in \"\(text)\"")
                ok = false
            } else if !SpecLoader.mayRead(String(name), allowed: allowedVariables) {
                error(
                    node, path,
                    "environment variable \(name) may not be read by a spec: only \(SpecLoader.variablePrefix)* "
                        + "variables are expanded, and others named on the command line with --env \(name) "
                        + "(write $${ for a literal ${)")
                ok = false
            } else if let v = environment[String(name)] {
                out += v
            } else if let fallback {
                out += fallback
            } else {
                error(node, path, "environment variable \(name) is not set and has no default (${\(name):-default})")
                ok = false
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return ok ? out : nil
    }
}

extension YAMLWalker {
    static func hasVariable(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for b in text.utf8 {
            if previous == UInt8(ascii: "$") && b == UInt8(ascii: "{") { return true }
            previous = b
        }
        return false
    }
}

func join(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : "\(path).\(key)"
}
