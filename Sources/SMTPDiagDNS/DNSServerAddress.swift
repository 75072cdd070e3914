import NIOCore
import SMTPDiagDNSWire

/// One DNS server: an IP literal and a port. Parses `127.0.0.12`, `127.0.0.12:53`, `::1`, `[::1]:5353`.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var host: String
    public var port: Int

    /// The zone files of a run (`--zones`, `dns_servers: {NAME: {zones: DIR}}`), answered in process: never an
    /// address a socket is opened to (port 0), and shown as `NAME[zones]` in check ids.
    public static let zoneFiles = DNSServerAddress(host: "zones", port: 0)

    public init(host: String, port: Int = 53) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case invalid(String, reason: String)
        public var description: String {
            switch self {
            case .invalid(let text, let reason): return "invalid server address \"\(text)\": \(reason)"
            }
        }
    }

    public init(parsing text: String, defaultPort: Int = 53) throws(ParseError) {
        let a: AddressText
        do {
            a = try AddressText(parsing: text)
        } catch {
            throw .invalid(text, reason: error.reason)
        }
        self.host = a.host
        self.port = a.port ?? defaultPort
    }

    public var isIPv6: Bool { host.utf8.contains(UInt8(ascii: ":")) }

    public func socketAddress() throws -> SocketAddress { try SocketAddress(ipAddress: host, port: port) }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func < (lhs: DNSServerAddress, rhs: DNSServerAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }
}

/// The resolvers the system is configured with (`nameserver` lines of resolv.conf, RFC-less but
/// universal). Only used when a spec names the `system` server; tests never do.
public enum SystemResolvers {
    public static func parse(resolvConf text: String) -> [DNSServerAddress] {
        var out: [DNSServerAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            var host = String(fields[1])
            if let percent = host.firstIndex(of: "%") { host = String(host[..<percent]) }
            if let server = try? DNSServerAddress(parsing: host.contains(":") ? "[\(host)]" : host) {
                out.append(server)
            }
        }
        return out
    }

    public static func load(path: String = "/etc/resolv.conf") -> [DNSServerAddress] {
        guard let text = try? readFile(path) else { return [] }
        return parse(resolvConf: text)
    }

    static func readFile(_ path: String) throws -> String {
        var bytes: [UInt8] = []
        guard let f = fopen(path, "r") else { throw DNSServerAddress.ParseError.invalid(path, reason: "unreadable") }
        defer { fclose(f) }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
