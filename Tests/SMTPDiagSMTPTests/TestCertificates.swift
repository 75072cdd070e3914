import Foundation
import NIOSSL

/// A CA and leaf certificates made with openssl for the TLS tests, in a folder of their own that is removed
/// when the test process ends. The leaf's subject alternative names are the test's choice.
enum TestCertificates {
    struct Leaf {
        let certificate: String
        let key: String
    }

    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "smtpdiag-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestCertificates.folder) }
        return url
    }()

    static var caFile: String { folder.appendingPathComponent("ca.pem").path }

    /// A CA that signed nothing the tests serve: trusting only it, no test certificate verifies.
    static var otherCAFile: String {
        lock.lock()
        defer { lock.unlock() }
        let path = folder.appendingPathComponent("other-ca.pem").path
        if !FileManager.default.fileExists(atPath: path) {
            openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                "-subj", "/CN=another CA", "-keyout", folder.appendingPathComponent("other-ca.key").path, "-out", path,
            ])
        }
        return path
    }

    /// Runs openssl; true when it succeeded.
    @discardableResult
    static func openssl(_ arguments: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    private static let lock = NSLock()

    /// A leaf signed by the test CA with these SANs (`DNS:a.test,IP:127.0.0.1`), made once per name.
    static func leaf(_ name: String, subjectAlternativeNames: String, commonName: String = "leaf.test") throws -> Leaf {
        lock.lock()
        defer { lock.unlock() }
        let dir = folder.path
        if !FileManager.default.fileExists(atPath: caFile) {
            guard
                openssl([
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                    "-subj", "/CN=smtpdiag test CA", "-keyout", "\(dir)/ca.key", "-out", caFile,
                ])
            else { throw CocoaError(.fileWriteUnknown) }
        }
        let leaf = Leaf(certificate: "\(dir)/\(name).pem", key: "\(dir)/\(name).key")
        if FileManager.default.fileExists(atPath: leaf.certificate) { return leaf }
        try "subjectAltName=\(subjectAlternativeNames)\nextendedKeyUsage=serverAuth\n".write(
            toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        guard
            openssl([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(commonName)",
                "-keyout", leaf.key, "-out", "\(dir)/\(name).csr",
            ]),
            openssl([
                "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", caFile, "-CAkey", "\(dir)/ca.key",
                "-CAcreateserial", "-days", "30", "-extfile", "\(dir)/\(name).ext", "-out", leaf.certificate,
            ])
        else { throw CocoaError(.fileWriteUnknown) }
        return leaf
    }

    static func serverContext(_ leaf: Leaf, minimumVersion: TLSVersion = .tlsv12, maximumVersion: TLSVersion? = nil)
        throws -> NIOSSLContext
    {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(leaf.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: leaf.key, format: .pem)))
        config.minimumTLSVersion = minimumVersion
        config.maximumTLSVersion = maximumVersion
        return try NIOSSLContext(configuration: config)
    }
}
