import Foundation
import SMTPDiagDNSWire

/// A domain's `smtp`: hosts, expectations and reply codes.
extension SpecReader {
    mutating func readDomainSMTP(_ node: YNode, _ path: String, domain: DomainName) -> SMTPSpec? {
        guard let pairs = walker.mapping(node, path, known: SpecKeys.domainSMTP, what: "a mapping") else { return nil }
        let settings = readSMTPSettings(pairs.filter { SpecKeys.smtpSettings.contains($0.0) }, path)
        var spec = SMTPSpec(settings: settings, hosts: .mx, expect: SMTPExpect(), location: walker.location(node))
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "hosts": spec.hosts = readHosts(v, p, domain: domain) ?? .mx
            case "expect": spec.expect = readExpect(v, p, domain: domain)
            default: break
            }
        }
        return spec
    }

    mutating func readHosts(_ node: YNode, _ path: String, domain: DomainName) -> SMTPHosts? {
        if case .scalar = node {
            guard let s = walker.string(node, path, what: "mx, or a list of hosts") else { return nil }
            if s == "mx" { return .mx }
            walker.error(
                node, path, "unknown host selection",
                expected: "mx, or a list of \"name\", \"name:port\", \"ip\", \"[ipv6]:port\"",
                found: YAMLWalker.describe(node))
            return nil
        }
        guard let list = walker.sequence(node, path, what: "mx, or a list of hosts") else { return nil }
        var out: [SMTPHostSpec] = []
        for (i, item) in list.enumerated() {
            let p = "\(path)[\(i)]"
            guard let s = walker.string(item, p, what: "a host") else { continue }
            if let (host, port) = Self.parseAddress(s) {
                out.append(SMTPHostSpec(host: .address(host), port: port, location: walker.location(item)))
                continue
            }
            if s.hasPrefix("[") || s.filter({ $0 == ":" }).count > 1 {
                walker.error(
                    item, p, "not an IPv6 address with an optional port", expected: "[ipv6]:port",
                    found: YAMLWalker.describe(item))
                continue
            }
            var nameText = s
            var port: Int? = nil
            if let colon = s.lastIndex(of: ":") {
                guard let n = Int(s[s.index(after: colon)...]), (1...65535).contains(n) else {
                    walker.error(
                        item, p, "bad port", expected: "name:port with a port 1 to 65535",
                        found: YAMLWalker.describe(item))
                    continue
                }
                port = n
                nameText = String(s[..<colon])
            }
            guard let name = domainName(nameText, item, p, origin: domain) else { continue }
            out.append(SMTPHostSpec(host: .name(name), port: port, location: walker.location(item)))
        }
        if out.isEmpty && list.isEmpty { walker.error(node, path, "empty list", expected: "at least one host") }
        return .list(out)
    }

    mutating func readExpect(_ node: YNode, _ path: String, domain: DomainName) -> SMTPExpect {
        var e = SMTPExpect()
        guard let pairs = walker.mapping(node, path, known: SpecKeys.expect, what: "a mapping of reply expectations")
        else {
            return e
        }
        for (key, k, v) in pairs {
            let p = join(path, key)
            let loc = walker.location(k)
            switch key {
            case "banner": e.banner = readReply(v, p).map { Located($0, loc) }
            case "ehlo": e.ehlo = readReply(v, p).map { Located($0, loc) }
            case "starttls": e.starttls = readReply(v, p).map { Located($0, loc) }
            case "mail_from": e.mailFrom = readReply(v, p).map { Located($0, loc) }
            case "quit": e.quit = readReply(v, p).map { Located($0, loc) }
            case "extensions":
                guard let list = walker.sequence(v, p, what: "a list of EHLO keywords") else { continue }
                var words: [String] = []
                for (i, w) in list.enumerated() {
                    guard let s = walker.string(w, "\(p)[\(i)]", what: "an EHLO keyword") else { continue }
                    if s.isEmpty || !s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                        walker.error(
                            w, "\(p)[\(i)]", "not an EHLO keyword", expected: "letters, digits and -, e.g. STARTTLS",
                            found: YAMLWalker.describe(w))
                    } else {
                        words.append(s.uppercased())
                    }
                }
                e.extensions = Located(words, loc)
            case "rcpt":
                guard let list = walker.freeMapping(v, p, what: "a mapping of recipient: reply code") else { continue }
                for (who, wk, wv) in list {
                    let rp = "\(p).\(who)"
                    let address = who.contains("@") ? who : "\(who)@\(domain.description.dropLast())"
                    guard checkAddress(address, wk, rp) else { continue }
                    guard let reply = readReply(wv, rp) else { continue }
                    e.rcpt.append(
                        RecipientExpectation(
                            written: who, address: address, reply: reply, location: walker.location(wk)))
                }
            default: break
            }
        }
        return e
    }

    /// `250`, `"2xx"`, `[250, 251]`, `{code, enhanced, text}`.
    mutating func readReply(_ node: YNode, _ path: String, allowDetailed: Bool = true) -> ReplyExpectation? {
        let what = "a reply code: 250, \"2xx\", [250, 251] or {code: 550, enhanced: \"5.1.1\", text: \"...\"}"
        switch node {
        case .sequence:
            guard let list = walker.sequence(node, path, what: what) else { return nil }
            var codes: [Int] = []
            for (i, item) in list.enumerated() {
                if let c = replyCode(item, "\(path)[\(i)]") { codes.append(c) }
            }
            if list.isEmpty { walker.error(node, path, "empty list", expected: what) }
            return codes.count == list.count && !codes.isEmpty ? .anyOf(codes) : nil
        case .mapping:
            guard allowDetailed, let pairs = walker.mapping(node, path, known: SpecKeys.reply, what: what) else {
                if !allowDetailed {
                    walker.error(node, path, "wrong type", expected: "250, \"2xx\" or [250, 251]", found: "a mapping")
                }
                return nil
            }
            var code: ReplyExpectation? = nil
            var enhanced: String? = nil
            var text: String? = nil
            for (key, _, v) in pairs {
                let p = join(path, key)
                switch key {
                case "code": code = readReply(v, p, allowDetailed: false)
                case "enhanced":
                    guard let s = walker.string(v, p, what: "an enhanced status code such as 5.1.1") else { continue }
                    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
                    if parts.count == 3, ["2", "4", "5"].contains(parts[0]),
                        parts[1...].allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) })
                    {
                        enhanced = s
                    } else {
                        walker.error(
                            v, p, "not an enhanced status code (RFC 3463)",
                            expected: "CLASS.SUBJECT.DETAIL such as 5.1.1", found: YAMLWalker.describe(v))
                    }
                case "text": text = walker.string(v, p, what: "a substring of the reply text")
                default: break
                }
            }
            if pairs.isEmpty { walker.error(node, path, "empty mapping", expected: "code, enhanced or text") }
            return .detailed(code: code, enhanced: enhanced, text: text)
        default:
            guard let s = walker.string(node, path, what: what) else { return nil }
            if s.count == 3, s.hasSuffix("xx"), let k = Int(s.prefix(1)) {
                guard (2...5).contains(k) else {
                    walker.error(
                        node, path, "reply classes are 2xx to 5xx", expected: what, found: YAMLWalker.describe(node))
                    return nil
                }
                return .replyClass(k)
            }
            return replyCode(node, path).map { .exact($0) }
        }
    }

    mutating func replyCode(_ node: YNode, _ path: String) -> Int? {
        guard let s = walker.string(node, path, what: "a reply code 200 to 599") else { return nil }
        guard let c = Int(s), (200...599).contains(c) else {
            walker.error(
                node, path, "reply codes are 2xx to 5xx", expected: "a reply code 200 to 599",
                found: YAMLWalker.describe(node))
            return nil
        }
        return c
    }
}
