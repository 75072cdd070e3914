import SMTPDiagDNSWire

/// A client address as SPF sees it: IPv4, or IPv6; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the
/// IPv4 address it maps (RFC 7208 5: "IPv4-mapped IPv6 ... MUST be treated as IPv4").
public struct SPFAddress: Sendable, Hashable, CustomStringConvertible {
    /// Four or sixteen octets.
    public let bytes: [UInt8]

    public init?(_ text: String) {
        if let v4 = try? Presentation.ipv4(text, field: "address") {
            self.init(bytes: v4)
        } else if let v6 = try? Presentation.ipv6(text, field: "address") {
            self.init(bytes: v6)
        } else {
            return nil
        }
    }

    /// - Precondition: four or sixteen octets.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an address has 4 or 16 octets")
        if bytes.count == 16 && bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            self.bytes = Array(bytes.suffix(4))
        } else {
            self.bytes = bytes
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        isIPv4 ? bytes.map(String.init).joined(separator: ".") : Presentation.formatIPv6(bytes)
    }

    /// The `%{i}` form (7.3): dotted decimal, or 32 dot-separated nibbles for IPv6.
    public var macroForm: String {
        if isIPv4 { return description }
        return bytes.flatMap { [String($0 >> 4, radix: 16), String($0 & 0xF, radix: 16)] }.joined(separator: ".")
    }

    /// Whether the address is in `network/length` (a network of the other family never matches).
    public func isIn(_ network: [UInt8], length: Int) -> Bool {
        guard network.count == bytes.count else { return false }
        var left = length
        for (a, b) in zip(bytes, network) {
            if left <= 0 { return true }
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if a & mask != b & mask { return false }
            left -= 8
        }
        return true
    }

    /// The reverse-lookup name: `1.2.0.192.in-addr.arpa.`, or nibbles under `ip6.arpa.`.
    public var reverseName: DomainName {
        let labels: [String] =
            isIPv4
            ? bytes.reversed().map(String.init) + ["in-addr", "arpa"]
            : bytes.reversed().flatMap { [String($0 & 0xF, radix: 16), String($0 >> 4, radix: 16)] } + ["ip6", "arpa"]
        // Every label is short and the whole under 255 octets: this cannot fail.
        return (try? DomainName(labels: labels.map { Array($0.utf8) })) ?? .root
    }
}
