/// The commands this tool sends (RFC 5321 §4.1.1). There is no case for DATA, BDAT or anything else
/// that transfers a message: no mail can ever be sent.
public enum SMTPCommand: Hashable, Sendable, CustomStringConvertible {
    case ehlo(String)
    case helo(String)
    case startTLS
    /// MAIL FROM:<path>; the empty path is the null reverse-path `<>`.
    case mailFrom(String)
    case rcptTo(String)
    case rset
    case noop
    case quit

    /// The command line without CRLF.
    public var description: String {
        switch self {
        case .ehlo(let d): return "EHLO \(d)"
        case .helo(let d): return "HELO \(d)"
        case .startTLS: return "STARTTLS"
        case .mailFrom(let p): return "MAIL FROM:<\(p)>"
        case .rcptTo(let p): return "RCPT TO:<\(p)>"
        case .rset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        }
    }

    /// The bytes to send, CRLF included. An argument with CR, LF or NUL (command injection), with
    /// spaces or angle brackets (parameter injection), or longer than RFC 5321 §4.5.3.1 allows, is
    /// refused before anything is sent.
    public func encoded() throws(SMTPCommandError) -> [UInt8] {
        switch self {
        case .ehlo(let d), .helo(let d):
            try Self.check(d, what: "domain", limit: 255, allowEmpty: false)
        case .mailFrom(let p):
            try Self.check(p, what: "reverse-path", limit: 256, allowEmpty: true)
        case .rcptTo(let p):
            try Self.check(p, what: "forward-path", limit: 256, allowEmpty: false)
        case .startTLS, .rset, .noop, .quit:
            break
        }
        return Array((description + "\r\n").utf8)
    }

    static func check(_ argument: String, what: String, limit: Int, allowEmpty: Bool) throws(SMTPCommandError) {
        if argument.isEmpty && !allowEmpty { throw .empty(what) }
        for u in argument.unicodeScalars {
            if u == "\r" || u == "\n" || u == "\0" { throw .forbiddenCharacter(what, argument) }
            if u == " " || u == "\t" || u == "<" || u == ">" || u.value < 0x20 || u.value == 0x7F {
                throw .forbiddenCharacter(what, argument)
            }
        }
        if argument.utf8.count > limit { throw .tooLong(what, limit) }
    }
}

public enum SMTPCommandError: Error, Hashable, Sendable, CustomStringConvertible {
    case forbiddenCharacter(String, String)
    case tooLong(String, Int)
    case empty(String)

    public var description: String {
        switch self {
        case .forbiddenCharacter(let what, let arg):
            let shown = arg.unicodeScalars.map { $0.value < 0x20 ? "\\x\(String($0.value, radix: 16))" : String($0) }
                .joined()
            return "refused to send: the \(what) \"\(shown)\" has CR, LF, NUL, spaces or angle brackets"
        case .tooLong(let what, let n): return "refused to send: the \(what) is longer than \(n) octets"
        case .empty(let what): return "refused to send: empty \(what)"
        }
    }
}
