import SMTPDiagDNSWire

/// An SPF record (RFC 7208 4.5, 4.6, 12): `v=spf1` then terms separated by spaces. Directives (an optional
/// qualifier and a mechanism) are kept in order; `redirect=` and `exp=` at most once each; unknown modifiers
/// are checked for syntax and otherwise ignored (6). Any syntax error anywhere makes the record invalid
/// (evaluation gives `permerror`), including in terms after `all`, which are never evaluated.
public struct SPFRecord: Sendable, Hashable, CustomStringConvertible {
    public enum Qualifier: String, Sendable, Hashable, CaseIterable {
        case pass = "+"
        case fail = "-"
        case softfail = "~"
        case neutral = "?"

        public var result: SPFResult {
            switch self {
            case .pass: return .pass
            case .fail: return .fail
            case .softfail: return .softfail
            case .neutral: return .neutral
            }
        }
    }

    /// A mechanism (5): its domain-spec is a macro string expanded at evaluation; CIDR lengths as written
    /// (`a/24//64`) or the whole address.
    public enum Mechanism: Sendable, Hashable {
        case all
        case include(MacroString)
        case a(MacroString?, v4: Int, v6: Int)
        case mx(MacroString?, v4: Int, v6: Int)
        case ptr(MacroString?)
        case ip4([UInt8], Int)
        case ip6([UInt8], Int)
        case exists(MacroString)

        public var name: String {
            switch self {
            case .all: return "all"
            case .include: return "include"
            case .a: return "a"
            case .mx: return "mx"
            case .ptr: return "ptr"
            case .ip4: return "ip4"
            case .ip6: return "ip6"
            case .exists: return "exists"
            }
        }

        /// Whether evaluating it counts against the limit of 10 terms that query DNS (4.6.4).
        public var queriesDNS: Bool {
            switch self {
            case .include, .a, .mx, .ptr, .exists: return true
            case .all, .ip4, .ip6: return false
            }
        }
    }

    public struct Directive: Sendable, Hashable, CustomStringConvertible {
        public let qualifier: Qualifier
        public let mechanism: Mechanism
        /// The term as the record writes it.
        public let text: String
        public var description: String { text }
    }

    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case notSPF
        case nonASCII
        case term(String, String)
        case duplicateModifier(String)

        public var description: String {
            switch self {
            case .notSPF: return "it does not start with v=spf1"
            case .nonASCII: return "it has characters outside printable ASCII"
            case .term(let t, let why): return "\"\(t)\": \(why)"
            case .duplicateModifier(let m): return "\(m)= appears twice (RFC 7208 6)"
            }
        }
    }

    /// The most terms a record may have: a TXT record of 64 KiB holds fewer than this many, and a bound keeps a
    /// hostile record cheap.
    public static let maxTerms = 2048

    public let directives: [Directive]
    public let redirect: MacroString?
    public let exp: MacroString?
    /// The record as published (joined strings).
    public let text: String

    public var description: String { text }

    /// The `all` directive, if the record has one (then `redirect` is ignored: RFC 7208 6.1).
    public var all: Directive? { directives.first { $0.mechanism == .all } }

    /// Whether a TXT string is meant as an SPF record: `v=spf1` in any case, then a space or the end (4.5); a
    /// `v=spf10` is not.
    public static func isSPF(_ text: String) -> Bool {
        let u = text.utf8
        guard u.count >= 6 else { return false }
        let head = u.prefix(6).map { $0 | 0x20 }
        guard head == Array("v=spf1".utf8).map({ $0 | 0x20 }) else { return false }
        return u.count == 6 || u[u.index(u.startIndex, offsetBy: 6)] == UInt8(ascii: " ")
    }

    public init(parsing text: String) throws(Problem) {
        guard Self.isSPF(text) else { throw .notSPF }
        guard text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { throw .nonASCII }
        self.text = text
        var directives: [Directive] = []
        var redirect: MacroString?
        var exp: MacroString?
        let terms = text.utf8.split(separator: UInt8(ascii: " ")).dropFirst()
        guard terms.count <= Self.maxTerms else {
            throw .term("…", "more than \(Self.maxTerms) terms")
        }
        for raw in terms {
            let term = String(decoding: raw, as: UTF8.self)
            if let eq = term.firstIndex(of: "="), Self.isModifierName(term[..<eq]) {
                let name = term[..<eq].lowercased()
                let value = String(term[term.index(after: eq)...])
                switch name {
                case "redirect", "exp":
                    let spec: MacroString
                    do {
                        spec = try MacroString(domainSpec: value)
                    } catch {
                        throw .term(term, "\(error)")
                    }
                    if name == "redirect" {
                        guard redirect == nil else { throw .duplicateModifier(name) }
                        redirect = spec
                    } else {
                        guard exp == nil else { throw .duplicateModifier(name) }
                        exp = spec
                    }
                default:
                    // An unknown modifier is ignored, but its value must still be a macro string (6, 12).
                    do {
                        _ = try MacroString(parsing: value, explanation: false)
                    } catch {
                        throw .term(term, "\(error)")
                    }
                }
                continue
            }
            directives.append(try Self.directive(term))
        }
        self.directives = directives
        self.redirect = redirect
        self.exp = exp
    }

    /// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    static func isModifierName(_ s: Substring) -> Bool {
        guard let first = s.utf8.first, Self.isAlpha(first) else { return false }
        return s.utf8.allSatisfy {
            Self.isAlpha($0) || ("0"..."9").contains(Character(Unicode.Scalar($0))) || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    static func isAlpha(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }

    static func directive(_ term: String) throws(Problem) -> Directive {
        var body = Substring(term)
        var qualifier = Qualifier.pass
        if let first = body.first, let q = Qualifier(rawValue: String(first)) {
            qualifier = q
            body = body.dropFirst()
        }
        // The mechanism's name ends at ":" or "/" (a/24) or the end.
        let nameEnd = body.firstIndex { $0 == ":" || $0 == "/" } ?? body.endIndex
        let name = body[..<nameEnd].lowercased()
        let rest = body[nameEnd...]
        func fail(_ why: String) -> Problem { .term(term, why) }
        func spec(_ s: Substring) throws(Problem) -> MacroString {
            do {
                return try MacroString(domainSpec: String(s))
            } catch {
                throw fail("\(error)")
            }
        }
        /// `[":" domain-spec] [dual-cidr-length]`
        func domainAndCIDR(_ rest: Substring) throws(Problem) -> (MacroString?, Int, Int) {
            var rest = rest
            var v4 = 32
            var v6 = 128
            // The CIDR part is the tail after the last "/" that is followed by digits only (a domain-spec may
            // itself hold "/" inside a macro's delimiters).
            if let (domainPart, cidr) = splitCIDR(rest) {
                rest = domainPart
                (v4, v6) = try dualCIDR(cidr)
            }
            if rest.isEmpty { return (nil, v4, v6) }
            guard rest.first == ":" else { throw fail("expected :domain or /prefix-length") }
            let d = rest.dropFirst()
            guard !d.isEmpty else { throw fail("an empty domain after :") }
            return (try spec(d), v4, v6)
        }
        func splitCIDR(_ s: Substring) -> (Substring, Substring)? {
            // "//64", "/24", "/24//64" at the end.
            var i = s.endIndex
            var slashes = 0
            var cut: Substring.Index?
            while i > s.startIndex {
                let j = s.index(before: i)
                let c = s[j]
                if c == "/" {
                    slashes += 1
                    cut = j
                } else if !c.isASCII || !c.isNumber {
                    break
                }
                i = j
            }
            guard let cut, slashes > 0 else { return nil }
            return (s[..<cut], s[cut...])
        }
        func dualCIDR(_ s: Substring) throws(Problem) -> (Int, Int) {
            // "/N", "//N", "/N//M"
            var v4 = 32
            var v6 = 128
            if s.hasPrefix("//") {
                v6 = try length(s.dropFirst(2), max: 128)
            } else if let i = s.indices.first(where: { s[$0...].hasPrefix("//") }) {
                v4 = try length(s[s.index(after: s.startIndex)..<i], max: 32)
                v6 = try length(s[s.index(i, offsetBy: 2)...], max: 128)
            } else {
                v4 = try length(s.dropFirst(), max: 32)
            }
            return (v4, v6)
        }
        func length(_ s: Substring, max: Int) throws(Problem) -> Int {
            // "0" or a number without leading zeros (12: ip4-cidr-length, ip6-cidr-length).
            guard !s.isEmpty, s.count <= 3, s.allSatisfy({ $0.isASCII && $0.isNumber }), s == "0" || s.first != "0",
                let n = Int(s), n <= max
            else { throw fail("a prefix length of 0 to \(max) expected, not \"\(s)\"") }
            return n
        }
        let mechanism: Mechanism
        switch name {
        case "all":
            guard rest.isEmpty else { throw fail("all takes no argument") }
            mechanism = .all
        case "include", "exists":
            guard rest.first == ":", rest.count > 1 else { throw fail("\(name) needs :domain") }
            let s = try spec(rest.dropFirst())
            mechanism = name == "include" ? .include(s) : .exists(s)
        case "a", "mx":
            let (d, v4, v6) = try domainAndCIDR(rest)
            mechanism = name == "a" ? .a(d, v4: v4, v6: v6) : .mx(d, v4: v4, v6: v6)
        case "ptr":
            if rest.isEmpty {
                mechanism = .ptr(nil)
            } else {
                guard rest.first == ":", rest.count > 1 else { throw fail("ptr takes :domain and no prefix length") }
                mechanism = .ptr(try spec(rest.dropFirst()))
            }
        case "ip4":
            guard rest.first == ":" else { throw fail("ip4 needs :address") }
            let value = rest.dropFirst()
            let parts = value.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = try? Presentation.ipv4(String(parts[0]), field: "ip4") else {
                throw fail("not an IPv4 address")
            }
            let len = parts.count == 2 ? try length(parts[1], max: 32) : 32
            mechanism = .ip4(address, len)
        case "ip6":
            guard rest.first == ":" else { throw fail("ip6 needs :address") }
            let value = rest.dropFirst()
            let (addressText, len): (Substring, Int)
            if let slash = value.lastIndex(of: "/") {
                addressText = value[..<slash]
                len = try length(value[value.index(after: slash)...], max: 128)
            } else {
                (addressText, len) = (value, 128)
            }
            guard let address = try? Presentation.ipv6(String(addressText), field: "ip6") else {
                throw fail("not an IPv6 address")
            }
            mechanism = .ip6(address, len)
        default:
            throw fail(name.isEmpty ? "not a term" : "unknown mechanism \(name)")
        }
        return Directive(qualifier: qualifier, mechanism: mechanism, text: term)
    }
}

/// The seven results of check_host (RFC 7208 2.6).
public enum SPFResult: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none, neutral, pass, fail, softfail, temperror, permerror
    public var description: String { rawValue }
}
