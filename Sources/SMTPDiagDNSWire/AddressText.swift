/// An IP address as written in specs and on the command line, with an optional port: `127.0.0.10`,
/// `127.0.0.12:5300`, `::1`, `[::1]:5353`. The one reader of that form (DNS servers, SMTP hosts).
public struct AddressText: Hashable, Sendable {
    public var host: String
    public var port: Int?

    /// Why a text is not an address, in words.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public init(parsing text: String) throws(Problem) {
        var host = text
        var port: Int? = nil
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw Problem(reason: "missing ]") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else {
                    throw Problem(reason: "expected [ADDRESS]:PORT")
                }
                port = p
            }
            guard (try? Presentation.ipv6(host, field: "address")) != nil else {
                throw Problem(reason: "not an IPv6 address")
            }
        } else if text.filter({ $0 == ":" }).count > 1 {
            guard (try? Presentation.ipv6(host, field: "address")) != nil else {
                throw Problem(reason: "not an IPv4 or IPv6 address")
            }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2 {
                guard let p = Int(parts[1]) else { throw Problem(reason: "port is not a number") }
                port = p
            }
            host = String(parts[0])
            guard (try? Presentation.ipv4(host, field: "address")) != nil else {
                throw Problem(reason: "not an IPv4 or IPv6 address")
            }
        }
        if let port, !(1...65535).contains(port) { throw Problem(reason: "port \(port) is not in 1...65535") }
        self.host = host
        self.port = port
    }
}
