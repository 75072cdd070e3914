import Foundation
import SMTPDiagDNSWire

/// Loads spec files (the contract in shared/spec-format.md) into the typed model, reporting every
/// problem of every file with `file:line:column`, the key path, and expected versus found.
public struct SpecLoader: Sendable {
    /// Where `${NAME}` is looked up. Only names starting with `SMTPDIAG_` and those in `allowedVariables` are
    /// ever read: a spec comes from a pull request, and must not be able to send a CI secret to a DNS
    /// server of its choosing or print it into a report.
    public var environment: [String: String]
    /// More variable names a spec may read, from the command line (`--env NAME`), never from a spec.
    public var allowedVariables: Set<String> = []
    /// Files larger than this are refused before they are read.
    public var maxFileSize = 16 << 20
    /// Nesting deeper than this is refused before the YAML parser sees it.
    public var maxDepth = 200
    /// Node visits allowed while reading one file.
    public var maxNodes = 5_000_000
    /// Nodes that aliases (and the merge keys that name them) may add to one file, counted as the file is
    /// composed, before anything is merged or walked.
    public var maxAliasNodes = 1_000_000

    /// The families of checks whose keys a domain may hold besides the built-in ones.
    public var families: [any SpecFamily.Type]

    /// `families`: the registry's (`Families.builtin.spec` for the command line's); a key of a family not given
    /// here is an unknown key.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, families: [any SpecFamily.Type]) {
        self.environment = environment
        self.families = families
    }

    public struct Result: Sendable {
        public var files: [SpecFile]
        public var diagnostics: [SpecDiagnostic]

        /// A file that could not be read at all: one diagnostic, no spec.
        static func failed(_ location: SourceLocation, _ message: String) -> Result {
            Result(files: [], diagnostics: [SpecDiagnostic(location, path: "", message)])
        }
    }

    /// Loads files and folders (a folder's `*.yaml` and `*.yml` files, not its subfolders, sorted).
    public func load(paths: [String]) -> Result {
        var files: [SpecFile] = []
        var diagnostics: [SpecDiagnostic] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(
                    SpecDiagnostic(SourceLocation(file: path, line: 1, column: 1), path: "", "no such file or folder"))
                continue
            }
            let list: [String]
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                list = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
                if list.isEmpty {
                    diagnostics.append(
                        SpecDiagnostic(
                            SourceLocation(file: path, line: 1, column: 1), path: "",
                            "the folder has no *.yaml or *.yml files"))
                }
            } else {
                list = [path]
            }
            for file in list {
                let r = load(file: file)
                files += r.files
                diagnostics += r.diagnostics
            }
        }
        return Result(files: files, diagnostics: diagnostics.sorted())
    }

    public func load(file path: String) -> Result {
        let start = SourceLocation(file: path, line: 1, column: 1)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber
        else {
            return .failed(start, "cannot read the file")
        }
        guard size.intValue <= maxFileSize else {
            return .failed(start, "the file is \(size.intValue) bytes; spec files are limited to \(maxFileSize)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failed(start, "cannot read the file")
        }
        return load(data: data, path: path)
    }

    /// Loads one spec from its bytes; `path` names it in diagnostics and anchors relative paths.
    public func load(data: Data, path: String) -> Result {
        let bytes = [UInt8](data)
        if let bad = Self.firstInvalidUTF8(bytes) {
            let (line, column) = Self.lineColumn(bytes, bad)
            return .failed(
                SourceLocation(file: path, line: line, column: column),
                "the file is not UTF-8 (invalid byte 0x\(String(bytes[bad], radix: 16)) at offset \(bad))")
        }

        if let (line, column, depth) = Self.excessiveNesting(bytes, limit: maxDepth) {
            return .failed(
                SourceLocation(file: path, line: line, column: column),
                "nesting deeper than \(maxDepth) levels (\(depth) here); spec files are never that deep")
        }
        let root: YNode?
        switch YAMLComposer.compose(bytes, limits: .init(maxDepth: maxDepth, maxAliasNodes: maxAliasNodes)) {
        case .success(let node): root = node
        case .failure(let problems):
            return Result(
                files: [],
                diagnostics: problems.map {
                    SpecDiagnostic(
                        SourceLocation(file: path, line: $0.mark.line, column: $0.mark.column), path: "", $0.message)
                })
        }
        guard let root else {
            return .failed(SourceLocation(file: path, line: 1, column: 1), "the file is empty")
        }
        let allowed = allowedVariables
        var walker = YAMLWalker(
            file: path, environment: environment.filter { Self.mayRead($0.key, allowed: allowed) },
            allowedVariables: allowed, maxVisits: maxNodes)
        var reader = SpecReader(
            walker: walker, directory: (path as NSString).deletingLastPathComponent, families: families)
        let file = reader.read(root, path: path)
        walker = reader.walker
        return Result(files: file.map { [$0] } ?? [], diagnostics: walker.diagnostics.sorted())
    }

    /// The prefix of the variables every spec may read.
    public static let variablePrefix = "SMTPDIAG_"

    static func mayRead(_ name: String, allowed: Set<String>) -> Bool {
        name.hasPrefix(variablePrefix) || allowed.contains(name)
    }

    // MARK: - Pre-checks

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let n: Int
            if b < 0x80 {
                n = 0
            } else if b & 0xE0 == 0xC0 && b >= 0xC2 {
                n = 1
            } else if b & 0xF0 == 0xE0 {
                n = 2
            } else if b & 0xF8 == 0xF0 && b <= 0xF4 {
                n = 3
            } else {
                return i
            }
            guard i + n < bytes.count || n == 0 else { return i }
            for k in 0..<n where bytes[i + 1 + k] & 0xC0 != 0x80 { return i }
            if n == 2 {
                let cp = (UInt32(b & 0x0F) << 12) | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F)
                if cp < 0x800 || (0xD800...0xDFFF).contains(cp) { return i }
            }
            if n == 3 {
                let cp = (UInt32(b & 0x07) << 18) | (UInt32(bytes[i + 1] & 0x3F) << 12)
                if cp < 0x10000 || cp > 0x10FFFF { return i }
            }
            i += 1 + n
        }
        return nil
    }

    static func lineColumn(_ bytes: [UInt8], _ offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for b in bytes[..<offset] {
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// A cheap upper bound of the nesting depth, so that a hostile file never reaches the (recursive)
    /// YAML composer: flow brackets, plus block indentation levels and `- ` / `? ` indicators.
    static func excessiveNesting(_ bytes: [UInt8], limit: Int) -> (Int, Int, Int)? {
        var indents: [Int] = []
        var lineNumber = 0
        var literalIndent: Int? = nil
        var flow = 0
        var start = 0
        let space = UInt8(ascii: " ")
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            lineNumber += 1
            var i = start
            while i < end && bytes[i] == space { i += 1 }
            let indent = i - start
            if i == end || bytes[i] == UInt8(ascii: "#") { continue }
            if let l = literalIndent {
                if indent > l { continue }
                literalIndent = nil
            }
            if flow == 0 {
                while let last = indents.last, last >= indent { indents.removeLast() }
                indents.append(indent)
            }
            var dashes = 0
            var j = i
            while j + 1 < end && (bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "?"))
                && bytes[j + 1] == space
            {
                dashes += 1
                j += 2
                while j < end && bytes[j] == space { j += 1 }
            }
            var quote: UInt8? = nil
            var k = j
            var lastNonSpace: UInt8 = 0
            var beforeLast: UInt8 = 0
            while k < end {
                let c = bytes[k]
                if c != space && c != 0x0D {
                    beforeLast = lastNonSpace
                    lastNonSpace = c
                }
                if let q = quote {
                    if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") {
                        k += 2
                        continue
                    }
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    quote = c
                } else if c == UInt8(ascii: "#") && k > start && bytes[k - 1] == space {
                    break
                } else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    flow += 1
                    if indents.count + dashes + flow > limit {
                        return (lineNumber, k - start + 1, indents.count + dashes + flow)
                    }
                } else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                    flow = max(0, flow - 1)
                }
                k += 1
            }
            let depth = indents.count + dashes + flow
            if depth > limit { return (lineNumber, indent + 1, depth) }
            // A block scalar (`|`, `>`, `|-`, `>+`...): its more-indented lines are text, not structure.
            let indicators: Set<UInt8> = [UInt8(ascii: "|"), UInt8(ascii: ">")]
            let chomp: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "+")]
            if indicators.contains(lastNonSpace) || (chomp.contains(lastNonSpace) && indicators.contains(beforeLast)) {
                literalIndent = indent
            }
        }
        return nil
    }
}
