import Foundation
import NIOSSL

/// A TLS library error in words a mail administrator uses: which check failed, which alert came, which
/// versions were offered; never BoringSSL's dump with its source file and line.
enum TLSFailureText {
    static func describe(_ error: any Error, minimumVersion: SMTPTLSVersion) -> String {
        if let e = error as? NIOSSLError {
            switch e {
            case .uncleanShutdown: return "the server closed the connection during the TLS handshake"
            case .handshakeFailed(let inner): return reasons("\(inner)", minimumVersion: minimumVersion)
            default: break
            }
        }
        return reasons("\(error)", minimumVersion: minimumVersion)
    }

    /// BoringSSL's reason codes (`...:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at file:line`) in words.
    static func reasons(_ text: String, minimumVersion: SMTPTLSVersion) -> String {
        var codes: [String] = []
        var rest = Substring(text)
        while let marker = rest.range(of: "OPENSSL_internal:") {
            let code = rest[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty, !codes.contains(String(code)) { codes.append(String(code)) }
            rest = rest[marker.upperBound...]
        }
        guard !codes.isEmpty else { return text }
        let offered = "TLS \(minimumVersion.rawValue) to 1.3"
        return codes.map { code -> String in
            switch code {
            case "CERTIFICATE_VERIFY_FAILED":
                return "the certificate chain does not lead to a trusted root (tls_ca_file, or the system's roots)"
            case "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION":
                return "no TLS version in common (offered \(offered))"
            case "WRONG_VERSION_NUMBER":
                return "the server did not answer with TLS (its first bytes are not a TLS record)"
            case "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "SSLV3_ALERT_HANDSHAKE_FAILURE":
                return
                    "the server refused the handshake (alert handshake_failure: no cipher or curve in common with \(offered)?)"
            case "UNEXPECTED_RECORD", "DECODE_ERROR", "EXCESSIVE_MESSAGE_SIZE":
                return "the server's handshake messages are malformed (\(code.lowercased()))"
            default:
                if code.hasPrefix("TLSV1_ALERT_") || code.hasPrefix("SSLV3_ALERT_") {
                    let alert = code.split(separator: "_").dropFirst(2).joined(separator: "_").lowercased()
                    return "the server sent the TLS alert \(alert)"
                }
                return String(code.lowercased().map { $0 == "_" ? " " : $0 })
            }
        }.joined(separator: "; ")
    }
}
