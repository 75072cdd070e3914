import SMTPDiagSMTP
import SMTPDiagSMTPWire

#if canImport(Glibc)
    import Glibc
#endif

/// Complete SMTP sessions (banner, EHLO, [STARTTLS, EHLO,] MAIL FROM, RCPT, QUIT) against the lab's
/// Postfix: `scripts/bench smtp` runs it next to swaks.
///
///     smtpdiag-smtpbench SESSIONS tls|plain sequential|parallel CAFILE ADDRESS...
@main
struct SMTPBench {
    static func main() async {
        let args = CommandLine.arguments
        guard args.count >= 6, let sessions = Int(args[1]) else {
            print("usage: smtpdiag-smtpbench SESSIONS tls|plain sequential|parallel CAFILE ADDRESS...")
            exit(2)
        }
        let tls = args[2] == "tls"
        let parallel = args[3] == "parallel"
        let ca = args[4]
        let addresses = Array(args[5...])
        let configuration = SMTPSessionConfiguration(
            helo: "bench.example.net", mailFrom: "administrator@nwtraders.test",
            recipients: ["postmaster@example.test"],
            starttls: tls ? .required : .off, connectTimeout: .seconds(5), bannerTimeout: .seconds(10),
            commandTimeout: .seconds(10), sessionTimeout: .seconds(30))
        let client = SMTPClient(maxSessionsPerAddress: 2)
        let settings = SMTPTLSSettings(verify: true, caFile: ca)
        let clock = ContinuousClock()
        let start = clock.now
        var ok = 0
        if parallel {
            ok = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<sessions {
                    let address = addresses[i % addresses.count]
                    group.addTask {
                        let r = await client.session(
                            address: address, port: 25, serverName: "mx1.example.test", configuration: configuration,
                            tls: settings)
                        return r.failure == nil && r.quit?.code == 221
                    }
                }
                var n = 0
                for await good in group where good { n += 1 }
                return n
            }
        } else {
            for i in 0..<sessions {
                let r = await client.session(
                    address: addresses[i % addresses.count], port: 25, serverName: "mx1.example.test",
                    configuration: configuration, tls: settings)
                if r.failure == nil && r.quit?.code == 221 { ok += 1 }
            }
        }
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "sessions_ok=\(ok) sessions=\(sessions) seconds=\((seconds * 100).rounded() / 100) per_second=\((Double(ok) / seconds * 10).rounded() / 10)"
        )
    }
}
