/// An SPF macro string (RFC 7208 7.1): literal text and `%{letter digits r delimiters}` expansions, `%%`, `%_`,
/// `%-`. A domain-spec must end in `.toplabel` or an expansion (`domain-end`); the letters `c`, `r` and `t` are
/// only allowed in an explanation (7.2).
public struct MacroString: Sendable, Hashable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// `letter` lower case; `escape` when the letter was upper case (URL-escape the value).
        case macro(letter: Character, escape: Bool, keep: Int?, reverse: Bool, delimiters: String)
    }

    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public let parts: [Part]
    public let text: String
    public var description: String { text }

    /// Whether any part is an expansion (so the domain depends on who is asking).
    public var hasMacros: Bool { parts.contains { if case .macro = $0 { return true } else { return false } } }

    static let letters: Set<Character> = ["s", "l", "o", "d", "i", "p", "h", "v"]
    static let explanationLetters: Set<Character> = ["c", "r", "t"]
    static let delimiterSet: Set<Character> = [".", "-", "+", ",", "/", "_", "="]

    public init(parsing text: String, explanation: Bool) throws(Problem) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var i = text.startIndex
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
        }
        while i < text.endIndex {
            let c = text[i]
            guard c.isASCII, let v = c.asciiValue else { throw Problem(reason: "a non-ASCII character") }
            if c != "%" {
                // macro-literal = %x21-24 / %x26-7E; an explanation may also hold spaces.
                guard (0x21...0x7E).contains(v) || (explanation && v == 0x20) else {
                    throw Problem(reason: "the character \(Unicode.Scalar(v).escaped(asASCII: true)) in a macro string")
                }
                literal.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            guard next < text.endIndex else { throw Problem(reason: "a % at the end (write %% for a percent sign)") }
            switch text[next] {
            case "%": literal.append("%")
            case "_": literal.append(" ")
            case "-": literal.append("%20")
            case "{":
                guard let close = text[next...].firstIndex(of: "}") else { throw Problem(reason: "%{ without }") }
                let body = text[text.index(after: next)..<close]
                guard let first = body.first else { throw Problem(reason: "%{} names no macro letter") }
                let letter = Character(first.lowercased())
                guard Self.letters.contains(letter) || (explanation && Self.explanationLetters.contains(letter)) else {
                    throw Problem(
                        reason: Self.explanationLetters.contains(letter)
                            ? "%{\(first)} is only allowed in an explanation"
                            : "%{\(first)} is not a macro letter")
                }
                var rest = body.dropFirst()
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(digits.count)
                var keep: Int?
                if !digits.isEmpty {
                    // A transformer of 0 is a syntax error (7.3); more than 128 parts cannot occur in a name.
                    guard digits.count <= 3, let n = Int(digits), n > 0 else {
                        throw Problem(reason: "%{\(body)}: the number of parts to keep must be 1 or more")
                    }
                    keep = n
                }
                var reverse = false
                if rest.first == "r" || rest.first == "R" {
                    reverse = true
                    rest = rest.dropFirst()
                }
                guard rest.allSatisfy({ Self.delimiterSet.contains($0) }) else {
                    throw Problem(reason: "%{\(body)}: not a delimiter in \"\(rest)\"")
                }
                flush()
                parts.append(
                    .macro(
                        letter: letter, escape: first.isUppercase, keep: keep, reverse: reverse,
                        delimiters: String(rest)))
                i = text.index(after: close)
                continue
            default:
                throw Problem(reason: "%\(text[next]) is not a macro (write %% for a percent sign)")
            }
            i = text.index(after: next)
        }
        flush()
        self.parts = parts
    }

    /// A domain-spec: a macro string that ends in `.toplabel` (with an optional final dot) or an expansion.
    public init(domainSpec text: String) throws(Problem) {
        try self.init(parsing: text, explanation: false)
        guard case .literal(let tail)? = parts.last else { return }
        // The literal ends the name: its last label must be a toplabel (7.1), unless a macro precedes it in the
        // same label, which the grammar does not allow either ("%{d}com" has no "." before its toplabel).
        var t = Substring(tail)
        if t.hasSuffix(".") { t = t.dropLast() }
        guard let dot = t.lastIndex(of: ".") else {
            throw Problem(reason: "\"\(text)\" does not end in a domain (.toplabel) or a macro")
        }
        let top = t[t.index(after: dot)...]
        guard Self.isTopLabel(top) else {
            throw Problem(reason: "\"\(text)\" ends in \"\(top)\", not a top-level label")
        }
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    static func isTopLabel(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 63 else { return false }
        let alnum = s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        if alnum { return s.contains { $0.isLetter } }
        guard let f = s.first, let l = s.last, f.isASCII, l.isASCII, f.isLetter || f.isNumber,
            l.isLetter || l.isNumber
        else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}

/// What macros expand to (RFC 7208 7.3).
public struct MacroContext: Sendable {
    /// `s`: the sender, `local@domain`.
    public var sender: String
    /// `d`: the domain whose record is being evaluated.
    public var domain: String
    /// `i`, `c`, `v`: the client address.
    public var client: SPFAddress
    /// `h`: the HELO/EHLO name.
    public var helo: String
    /// `p`: the validated name of the client address, found when first needed.
    public var validatedName: String?
    /// `r`: the receiving host; `t`: the time, seconds since the epoch.
    public var receiver = "unknown"
    public var timestamp = 0

    public init(sender: String, domain: String, client: SPFAddress, helo: String) {
        self.sender = sender
        self.domain = domain
        self.client = client
        self.helo = helo
    }

    /// `l` and `o`: the local part and domain of the sender.
    public var localPart: String {
        guard let at = sender.lastIndex(of: "@") else { return "postmaster" }
        let l = sender[..<at]
        return l.isEmpty ? "postmaster" : String(l)
    }

    public var senderDomain: String {
        guard let at = sender.lastIndex(of: "@") else { return sender }
        return String(sender[sender.index(after: at)...])
    }
}

extension MacroString {
    /// The text with every macro expanded. `p` uses `context.validatedName` ("unknown" when none was found).
    public func expand(_ context: MacroContext) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .macro(let letter, let escape, let keep, let reverse, let delimiters):
                let value: String
                switch letter {
                case "s": value = context.sender
                case "l": value = context.localPart
                case "o": value = context.senderDomain
                case "d": value = context.domain
                case "i": value = context.client.macroForm
                case "p": value = context.validatedName ?? "unknown"
                case "v": value = context.client.isIPv4 ? "in-addr" : "ip6"
                case "h": value = context.helo
                case "c": value = context.client.description
                case "r": value = context.receiver
                case "t": value = String(context.timestamp)
                default: value = ""
                }
                var pieces = Self.split(value, delimiters.isEmpty ? ["."] : Set(delimiters))
                if reverse { pieces.reverse() }
                if let keep, keep < pieces.count { pieces = Array(pieces.suffix(keep)) }
                let joined = pieces.joined(separator: ".")
                out += escape ? Self.urlEscaped(joined) : joined
            }
        }
        return out
    }

    static func split(_ s: String, _ delimiters: Set<Character>) -> [String] {
        s.split(omittingEmptySubsequences: false) { delimiters.contains($0) }.map(String.init)
    }

    /// RFC 3986 escaping of everything but the unreserved characters (7.3: upper-case macro letters).
    static func urlEscaped(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_" || c == "~") {
                out.append(c)
            } else {
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
