/// Reads the cipher suite the server chose from its ServerHello, which travels in clear in TLS 1.2
/// and 1.3 (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3). The TLS library in use does not report it.
///
/// ```
/// record:    type 0x16 (handshake) | version (2) | length (2)
/// handshake: type 0x02 (server_hello) | length (3) | legacy_version (2) | random (32)
///            | session_id length (1) + session_id | cipher_suite (2) | ...
/// ```
public enum TLSServerHello {
    public enum Outcome: Hashable, Sendable {
        /// Not enough bytes yet.
        case needMore
        case cipher(UInt16)
        /// The bytes are not a ServerHello record.
        case notServerHello
    }

    public static func parse(_ bytes: [UInt8]) -> Outcome {
        guard bytes.count >= 6 else { return .needMore }
        guard bytes[0] == 0x16, bytes[1] == 0x03, bytes[5] == 0x02 else { return .notServerHello }
        let sessionIDLengthAt = 5 + 4 + 2 + 32
        guard bytes.count > sessionIDLengthAt else { return .needMore }
        let cipherAt = sessionIDLengthAt + 1 + Int(bytes[sessionIDLengthAt])
        guard bytes.count >= cipherAt + 2 else { return .needMore }
        return .cipher(UInt16(bytes[cipherAt]) << 8 | UInt16(bytes[cipherAt + 1]))
    }

    /// The IANA name of a cipher suite, or its hex code.
    public static func name(_ code: UInt16) -> String {
        let names: [UInt16: String] = [
            0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
            0x1303: "TLS_CHACHA20_POLY1305_SHA256",
            0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
            0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        ]
        if let n = names[code] { return n }
        let hex = String(code, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
