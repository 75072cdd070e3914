import Foundation
import SwiftASN1

/// A DKIM key record (RFC 6376 3.6.1) at `SELECTOR._domainkey.DOMAIN`: a tag-list with `v=DKIM1` first when
/// present, `k` (`rsa` by default, or `ed25519`, RFC 8463), `p` (the key in base64; empty means revoked), `h`,
/// `s`, `t` (`y`: testing, `s`: no subdomains). RSA keys are SubjectPublicKeyInfo or RSAPublicKey DER, sized by
/// their modulus; ed25519 keys are the 32 raw octets. DER is read with swift-asn1.
public struct DKIMKeyRecord: Sendable, Hashable, CustomStringConvertible {
    public enum KeyType: String, Sendable, Hashable, CaseIterable {
        case rsa, ed25519
    }

    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case tagList(TagList.Problem)
        case version(String)
        case versionNotFirst
        case unknownKeyType(String)
        case noKey
        case base64
        case key(String)

        public var description: String {
            switch self {
            case .tagList(let p): return "\(p)"
            case .version(let v): return "v=\(v): a key record's version is DKIM1"
            case .versionNotFirst: return "v= is not the first tag (RFC 6376 3.6.1)"
            case .unknownKeyType(let k): return "k=\(k): not a key type verifiers know (rsa, ed25519)"
            case .noKey: return "no p= tag (RFC 6376 3.6.1: required)"
            case .base64: return "p= is not base64"
            case .key(let why): return why
            }
        }
    }

    public let keyType: KeyType
    /// `p=` is empty: the key is revoked (RFC 6376 3.6.1).
    public let revoked: Bool
    /// The RSA modulus's size, or 256 for an ed25519 key; nil when revoked.
    public let bits: Int?
    /// How the key was published: `SubjectPublicKeyInfo`, `RSAPublicKey` or `raw`.
    public let form: String?
    /// `t=y`: the domain is testing DKIM.
    public let testing: Bool
    /// `t=s`: the key is not for subdomains of the signing domain.
    public let strict: Bool
    /// `h=`, when given: the hash algorithms the key may be used with.
    public let hashes: [String]?
    /// `s=`: the service types (`*` or `email` for mail).
    public let services: [String]

    public var description: String {
        var parts = ["k=\(keyType.rawValue)"]
        if revoked { parts.append("revoked (empty p=)") }
        if let bits { parts.append("\(bits) bits") }
        if let form { parts.append(form) }
        if testing { parts.append("t=y") }
        if strict { parts.append("t=s") }
        if let hashes { parts.append("h=\(hashes.joined(separator: ":"))") }
        return parts.joined(separator: ", ")
    }

    /// Why a verifier would not use the key to verify mail signed today, or nil: revoked, an RSA key under 1024
    /// bits (RFC 8301 3.2), `h=` without sha256 (RFC 8301 3.1: sha1 is not accepted), `s=` without email.
    public var unusable: String? {
        if revoked { return "revoked (empty p=)" }
        if keyType == .rsa, let bits, bits < 1024 {
            return "an RSA key of \(bits) bits: verifiers reject keys under 1024 bits (RFC 8301 3.2)"
        }
        if let hashes, !hashes.contains("sha256") {
            return "h=\(hashes.joined(separator: ":")): without sha256 no signature verifies (RFC 8301 3.1)"
        }
        if !services.contains("*") && !services.contains("email") {
            return "s=\(services.joined(separator: ":")): not a key for email"
        }
        return nil
    }

    /// Whether a TXT record at a DKIM key name is meant as one (the others there are not key records): a tag-list
    /// whose first tag is `v=DKIM1`, or one with a `p=` tag.
    public static func isKeyRecord(_ text: String) -> Bool {
        guard let list = try? TagList(parsing: text) else { return text.contains("p=") }
        return list.tags.first?.name == "v" || list["p"] != nil
    }

    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]

    public init(parsing text: String) throws(Problem) {
        let list: TagList
        do {
            list = try TagList(parsing: text)
        } catch {
            throw .tagList(error)
        }
        if let v = list["v"] {
            guard list.tags.first?.name == "v" else { throw .versionNotFirst }
            guard v == "DKIM1" else { throw .version(v) }
        }
        let k = list["k"] ?? "rsa"
        guard let keyType = KeyType(rawValue: k) else { throw .unknownKeyType(k) }
        self.keyType = keyType
        func colonList(_ s: String) -> [String] {
            s.split(separator: ":").map { String(TagList.trimmed($0)) }.filter { !$0.isEmpty }
        }
        let flags = list["t"].map(colonList) ?? []
        testing = flags.contains("y")
        strict = flags.contains("s")
        hashes = list["h"].map(colonList)
        services = list["s"].map(colonList) ?? ["*"]
        guard let p = list["p"] else { throw .noKey }
        // The value may be folded: white space inside it is not part of the base64 (RFC 6376 3.2).
        let base64 = p.filter { !$0.isWhitespace }
        if base64.isEmpty {
            (revoked, bits, form) = (true, nil, nil)
            return
        }
        guard let data = Data(base64Encoded: base64) else { throw .base64 }
        revoked = false
        (bits, form) = try Self.key(Array(data), keyType)
    }

    /// The key's size and form.
    static func key(_ der: [UInt8], _ type: KeyType) throws(Problem) -> (Int, String) {
        let spki = try? SubjectPublicKeyInfo(derEncoded: der)
        switch type {
        case .ed25519:
            if der.count == 32 { return (256, "raw") }
            if let spki, spki.algorithm == Self.ed25519 {
                throw .key(
                    "an ed25519 key published as SubjectPublicKeyInfo (\(der.count) octets): RFC 8463 3 wants the 32 "
                        + "raw octets of the key in p=")
            }
            throw .key("an ed25519 key is 32 octets, not \(der.count)")
        case .rsa:
            if let spki {
                guard spki.algorithm == Self.rsaEncryption else {
                    throw .key("k=rsa, but the key's algorithm is \(spki.algorithm), not rsaEncryption")
                }
                guard spki.key.paddingBits == 0, let rsa = try? RSAPublicKey(derEncoded: Array(spki.key.bytes)) else {
                    throw .key("the SubjectPublicKeyInfo holds no RSAPublicKey")
                }
                return (try rsa.bits(), "SubjectPublicKeyInfo")
            }
            guard let rsa = try? RSAPublicKey(derEncoded: der) else {
                throw .key("p= is neither a SubjectPublicKeyInfo nor an RSAPublicKey (DER)")
            }
            return (try rsa.bits(), "RSAPublicKey")
        }
    }
}

/// SubjectPublicKeyInfo (RFC 5280 4.1): `SEQUENCE { SEQUENCE { algorithm OID, parameters ANY OPTIONAL },
/// subjectPublicKey BIT STRING }`.
struct SubjectPublicKeyInfo: DERImplicitlyTaggable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    var algorithm: ASN1ObjectIdentifier
    var key: ASN1BitString

    init(derEncoded root: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (algorithm, key) = try DER.sequence(root, identifier: identifier) { nodes in
            guard let algorithm = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no algorithm") }
            let oid = try DER.sequence(algorithm, identifier: .sequence) { inner in
                let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
                _ = inner.next()  // the parameters, if any
                return oid
            }
            return (oid, try ASN1BitString(derEncoded: &nodes))
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in try coder.serialize(algorithm) }
            try coder.serialize(key)
        }
    }
}

/// RSAPublicKey (RFC 8017 A.1.1): `SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
struct RSAPublicKey: DERImplicitlyTaggable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    var modulus: ArraySlice<UInt8>
    var exponent: ArraySlice<UInt8>

    init(derEncoded root: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (modulus, exponent) = try DER.sequence(root, identifier: identifier) { nodes in
            (try ArraySlice<UInt8>(derEncoded: &nodes), try ArraySlice<UInt8>(derEncoded: &nodes))
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(modulus)
            try coder.serialize(exponent)
        }
    }

    /// The modulus's size in bits (swift-asn1 gives the magnitude: negative INTEGERs do not parse).
    func bits() throws(DKIMKeyRecord.Problem) -> Int {
        let digits = modulus.drop { $0 == 0 }
        guard let top = digits.first else { throw .key("the RSA modulus is zero") }
        guard exponent.contains(where: { $0 != 0 }) else { throw .key("the RSA exponent is zero") }
        return (digits.count - 1) * 8 + (8 - top.leadingZeroBitCount)
    }
}
