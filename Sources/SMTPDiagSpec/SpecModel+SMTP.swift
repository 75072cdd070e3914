import Foundation
import SMTPDiagDNSWire

/// A reply-code expectation: `250`, `"2xx"`, `[250, 251]`, or `{code, enhanced, text}`.
public indirect enum ReplyExpectation: Hashable, Sendable, CustomStringConvertible {
    case exact(Int)
    case replyClass(Int)
    case anyOf([Int])
    case detailed(code: ReplyExpectation?, enhanced: String?, text: String?)

    public func matches(code: Int, enhanced: String?, text: String) -> Bool {
        switch self {
        case .exact(let c): return code == c
        case .replyClass(let k): return code / 100 == k
        case .anyOf(let list): return list.contains(code)
        case .detailed(let c, let e, let t):
            if let c, !c.matches(code: code, enhanced: enhanced, text: text) { return false }
            if let e, enhanced != e { return false }
            if let t, !text.lowercased().contains(t.lowercased()) { return false }
            return true
        }
    }

    public var description: String {
        switch self {
        case .exact(let c): return "\(c)"
        case .replyClass(let k): return "\(k)xx"
        case .anyOf(let list): return "one of " + list.map(String.init).joined(separator: ", ")
        case .detailed(let c, let e, let t):
            var parts: [String] = []
            if let c { parts.append(c.description) }
            if let e { parts.append("enhanced \(e)") }
            if let t { parts.append("text containing \"\(t)\"") }
            return parts.joined(separator: " ")
        }
    }
}

/// One SMTP host of `smtp.hosts`: a name or an address, and an optional port.
public struct SMTPHostSpec: Hashable, Sendable, CustomStringConvertible {
    public enum Host: Hashable, Sendable {
        case name(DomainName)
        case address(String)
    }
    public var host: Host
    public var port: Int?
    public var location: SourceLocation

    public var description: String {
        let h: String
        switch host {
        case .name(let n): h = n.description
        case .address(let a): h = a.contains(":") ? "[\(a)]" : a
        }
        return port.map { "\(h):\($0)" } ?? h
    }
}

public enum SMTPHosts: Hashable, Sendable {
    /// Every address of every MX exchange of the domain.
    case mx
    case list([SMTPHostSpec])
}

/// One `rcpt:` entry: the full address, and what was written.
public struct RecipientExpectation: Hashable, Sendable {
    public var written: String
    public var address: String
    public var reply: ReplyExpectation
    public var location: SourceLocation

    public init(written: String, address: String, reply: ReplyExpectation, location: SourceLocation) {
        self.written = written
        self.address = address
        self.reply = reply
        self.location = location
    }
}

/// The reply expectations of `smtp.expect`.
public struct SMTPExpect: Hashable, Sendable {
    public var banner: Located<ReplyExpectation>?
    public var ehlo: Located<ReplyExpectation>?
    public var extensions: Located<[String]>?
    public var starttls: Located<ReplyExpectation>?
    public var mailFrom: Located<ReplyExpectation>?
    public var rcpt: [RecipientExpectation]
    public var quit: Located<ReplyExpectation>?

    public init() { rcpt = [] }
}

/// `smtp:` settings, in `defaults` or a domain; unset fields inherit.
public struct SMTPSettings: Hashable, Sendable {
    public var port: Int?
    public var helo: String?
    public var mailFrom: String?
    public var connectTimeout: Duration?
    public var bannerTimeout: Duration?
    public var commandTimeout: Duration?
    public var starttls: StartTLSMode?
    public var tlsVerify: Bool?
    /// Absolute path (relative paths are resolved against the spec file's folder).
    public var tlsCAFile: String?
    /// The oldest TLS version offered: "1.2" unless a spec asks to probe older servers.
    public var tlsMinVersion: String?
    public init() {}

    public func over(_ base: SMTPSettings) -> SMTPSettings {
        var out = self
        out.port = port ?? base.port
        out.helo = helo ?? base.helo
        out.mailFrom = mailFrom ?? base.mailFrom
        out.connectTimeout = connectTimeout ?? base.connectTimeout
        out.bannerTimeout = bannerTimeout ?? base.bannerTimeout
        out.commandTimeout = commandTimeout ?? base.commandTimeout
        out.starttls = starttls ?? base.starttls
        out.tlsVerify = tlsVerify ?? base.tlsVerify
        out.tlsCAFile = tlsCAFile ?? base.tlsCAFile
        out.tlsMinVersion = tlsMinVersion ?? base.tlsMinVersion
        return out
    }
}

/// `smtp:` of a domain: settings plus hosts and expectations.
public struct SMTPSpec: Hashable, Sendable {
    public var settings: SMTPSettings
    public var hosts: SMTPHosts
    public var expect: SMTPExpect
    public var location: SourceLocation
}
