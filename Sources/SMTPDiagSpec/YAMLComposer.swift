import CLibYAML

/// A composed YAML node: what the loader needs and nothing more (text, whether a scalar was plain,
/// and where each node starts). Built by `YAMLComposer`; never leaves the loader.
indirect enum YNode {
    case scalar(YScalar)
    case mapping(YMapping)
    case sequence(YSequence)

    var mark: YMark {
        switch self {
        case .scalar(let s): return s.mark
        case .mapping(let m): return m.mark
        case .sequence(let s): return s.mark
        }
    }

    /// Levels of nesting, this node included, with aliases expanded.
    var depth: Int {
        switch self {
        case .scalar: return 1
        case .mapping(let m): return m.depth
        case .sequence(let s): return s.depth
        }
    }

    /// Nodes in all, this one included, with aliases expanded (saturating).
    var size: Int {
        switch self {
        case .scalar: return 1
        case .mapping(let m): return m.size
        case .sequence(let s): return s.size
        }
    }
}

/// 1-based line and column.
struct YMark {
    var line: Int
    var column: Int
}

struct YScalar {
    var string: String
    /// Written without quotes, tag or block style: only such scalars can mean null, numbers or booleans.
    var plain: Bool
    var mark: YMark
}

struct YMapping: Sequence {
    var pairs: [(YNode, YNode)]
    var mark: YMark
    var depth = 1
    var size = 1
    func makeIterator() -> IndexingIterator<[(YNode, YNode)]> { pairs.makeIterator() }
}

struct YSequence: Sequence {
    var items: [YNode]
    var mark: YMark
    var depth = 1
    var size = 1
    var count: Int { items.count }
    func makeIterator() -> IndexingIterator<[YNode]> { items.makeIterator() }
}

/// Composes one YAML document from libyaml's events with an explicit stack (no recursion, so depth
/// cannot exhaust the thread's stack), resolving aliases and reporting every duplicate key.
///
/// Aliases share nodes, so a small file can stand for a tree of any depth or size (a chain of aliases, each
/// nesting the one before; merge keys fanning out ten ways a level). Every node knows its depth and its
/// size with aliases expanded, counted as it is built, and a document past `maxDepth` levels or whose
/// aliases add more than `maxAliasNodes` nodes is refused here, before anything walks or merges it.
struct YAMLComposer {
    struct Limits {
        var maxDepth = 200
        var maxAliasNodes = 1_000_000
    }

    struct Problem {
        var message: String
        var mark: YMark
    }

    enum Outcome {
        case success(YNode?)
        case failure([Problem])
    }

    /// The node, or every problem found (syntax errors stop at the first; duplicate keys are all reported).
    static func compose(_ bytes: [UInt8], limits: Limits = Limits()) -> Outcome {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure([Problem(message: "cannot start the YAML parser", mark: YMark(line: 1, column: 1))])
        }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return run(&parser, limits, bytes)
        }
    }

    /// A collection being built. A class, so that adding a child appends in place instead of copying.
    final class Frame {
        let isMapping: Bool
        let anchor: String?
        let mark: YMark
        var items: [YNode] = []
        var pairs: [(YNode, YNode)] = []
        var key: YNode? = nil
        var keys: Set<String> = []
        /// The deepest child's depth, and the children's sizes added up (saturating).
        var childDepth = 0
        var childSize = 0

        init(isMapping: Bool, anchor: String?, mark: YMark) {
            self.isMapping = isMapping
            self.anchor = anchor
            self.mark = mark
        }

        var node: YNode {
            let depth = childDepth + 1
            let size = childSize.addingReportingOverflow(1).overflow ? Int.max : childSize + 1
            return isMapping
                ? .mapping(YMapping(pairs: pairs, mark: mark, depth: depth, size: size))
                : .sequence(YSequence(items: items, mark: mark, depth: depth, size: size))
        }
    }

    private static func tooDeep(_ limits: Limits) -> String {
        "nesting deeper than \(limits.maxDepth) levels; spec files are never that deep"
    }

    private static func mark(_ m: yaml_mark_t) -> YMark { YMark(line: Int(m.line) + 1, column: Int(m.column) + 1) }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        let n = length ?? strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: n), as: UTF8.self)
    }

    /// libyaml's syntax error in the words a person uses, at the line where the mistake is (an unclosed `[` is
    /// reported where it was opened, not where libyaml gave up), with libyaml's own words kept after.
    static func explain(problem: String, context: String?, problemMark: YMark, contextMark: YMark, bytes: [UInt8])
        -> (String, YMark)
    {
        let raw = problem + (context.map { " \($0)" } ?? "")
        func character(at m: YMark) -> UInt8? {
            var line = 1
            var i = 0
            while i < bytes.count && line < m.line {
                if bytes[i] == 0x0A { line += 1 }
                i += 1
            }
            let at = i + m.column - 1
            return at < bytes.count ? bytes[at] : nil
        }
        if problem.hasPrefix("found character that cannot start any token") && character(at: problemMark) == 0x09 {
            return ("a tab character: YAML indents with spaces only (libyaml: \(raw))", problemMark)
        }
        if problem.hasPrefix("did not find expected ',' or ']'") {
            return (
                "the list opened with `[` at line \(contextMark.line), column \(contextMark.column) is not closed: a `]` "
                    + "or a `,` is missing (libyaml: \(raw))", contextMark
            )
        }
        if problem.hasPrefix("did not find expected ',' or '}'") {
            return (
                "the mapping opened with `{` at line \(contextMark.line), column \(contextMark.column) is not closed: a "
                    + "`}` or a `,` is missing (libyaml: \(raw))", contextMark
            )
        }
        if problem.hasPrefix("found unexpected end of stream") && (context ?? "").contains("quoted scalar") {
            return (
                "the quoted text starting at line \(contextMark.line), column \(contextMark.column) is never closed "
                    + "(libyaml: \(raw))", contextMark
            )
        }
        if problem.hasPrefix("mapping values are not allowed") {
            return (
                "a `: ` where a value was expected: quote a value that contains `: `, or check this line's indentation "
                    + "(libyaml: \(raw))", problemMark
            )
        }
        if problem.hasPrefix("did not find expected key") || problem.hasPrefix("did not find expected '-' indicator") {
            return (
                "this line is indented differently from the lines it belongs with: keys of one mapping (and items "
                    + "of one list) line up (libyaml: \(raw))", problemMark
            )
        }
        return ("invalid YAML: \(raw)", problemMark)
    }

    private static func run(_ parser: inout yaml_parser_t, _ limits: Limits, _ bytes: [UInt8]) -> Outcome {
        var stack: [Frame] = []
        var anchors: [String: YNode] = [:]
        var problems: [Problem] = []
        var root: YNode? = nil
        var documents = 0
        var event = yaml_event_t()
        var aliasNodes = 0

        /// Puts a finished node into its parent (or makes it the root).
        func attach(_ node: YNode, anchor: String?) {
            if let anchor { anchors[anchor] = node }
            guard let top = stack.last else {
                root = node
                return
            }
            top.childDepth = max(top.childDepth, node.depth)
            let (sum, overflow) = top.childSize.addingReportingOverflow(node.size)
            top.childSize = overflow ? Int.max : sum
            if !top.isMapping {
                top.items.append(node)
            } else if let key = top.key {
                top.pairs.append((key, node))
                top.key = nil
            } else {
                if case .scalar(let s) = node {
                    if !top.keys.insert(s.string).inserted {
                        problems.append(Problem(message: "duplicate key `\(s.string)` in one mapping", mark: s.mark))
                    }
                }
                top.key = node
            }
        }

        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                let problem =
                    string(
                        UnsafeMutablePointer(mutating: parser.problem).map {
                            UnsafeMutableRawPointer($0).assumingMemoryBound(to: yaml_char_t.self)
                        }) ?? "syntax error"
                let context = string(
                    UnsafeMutablePointer(mutating: parser.context).map {
                        UnsafeMutableRawPointer($0).assumingMemoryBound(to: yaml_char_t.self)
                    })
                let (message, at) = explain(
                    problem: problem, context: context, problemMark: mark(parser.problem_mark),
                    contextMark: mark(parser.context_mark), bytes: bytes)
                return .failure([Problem(message: message, mark: at)])
            }
            defer { yaml_event_delete(&event) }
            let start = mark(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return problems.isEmpty ? .success(root) : .failure(problems)
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    return .failure(
                        problems + [Problem(message: "a spec file holds one YAML document, found another", mark: start)]
                    )
                }
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = string(s.value, Int(s.length)) ?? ""
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nil
                attach(.scalar(YScalar(string: text, plain: plain, mark: start)), anchor: string(s.anchor))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < limits.maxDepth else {
                    return .failure(problems + [Problem(message: tooDeep(limits), mark: start)])
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor =
                    isMapping ? string(event.data.mapping_start.anchor) : string(event.data.sequence_start.anchor)
                stack.append(Frame(isMapping: isMapping, anchor: anchor, mark: start))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let top = stack.popLast() else { break }
                attach(top.node, anchor: top.anchor)
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let node = anchors[name] else {
                    return .failure(
                        problems + [Problem(message: "alias *\(name) names no anchor defined before it", mark: start)])
                }
                guard stack.count + node.depth <= limits.maxDepth else {
                    return .failure(
                        problems + [Problem(message: tooDeep(limits) + " (through the alias *\(name))", mark: start)])
                }
                aliasNodes = aliasNodes > limits.maxAliasNodes ? aliasNodes : aliasNodes + min(node.size, Int.max / 2)
                guard aliasNodes <= limits.maxAliasNodes else {
                    return .failure(
                        problems + [
                            Problem(
                                message: "aliases expand the document by more than \(limits.maxAliasNodes) nodes "
                                    + "(at the alias *\(name)); spec files never need that many",
                                mark: start)
                        ])
                }
                attach(node, anchor: nil)
            default:
                break
            }
        }
    }
}
