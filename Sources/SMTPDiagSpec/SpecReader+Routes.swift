import Foundation
import SMTPDiagDNSWire

/// `routes:`: SMTPDiag's own probes.
extension SpecReader {
    mutating func readRoute(_ node: YNode, _ path: String) -> RouteSpec? {
        guard let pairs = walker.mapping(node, path, known: SpecKeys.route, what: "a mapping {from, to}") else {
            return nil
        }
        var from: String? = nil
        var to: String? = nil
        var tags: [String] = []
        var local: [Located<String>]? = nil
        var remote: [Located<String>]? = nil
        for (key, _, v) in pairs {
            let p = join(path, key)
            switch key {
            case "local_dns", "remote_dns":
                guard let list = walker.sequence(v, p, what: "a list of server names") else { continue }
                let names = list.enumerated().compactMap { i, n in
                    walker.string(n, "\(p)[\(i)]", what: "a server name").map { Located($0, walker.location(n)) }
                }
                if key == "local_dns" { local = names } else { remote = names }
            case "from":
                if let s = walker.string(v, p, what: "the sender's address"), checkAddress(s, v, p) { from = s }
            case "to":
                if let s = walker.string(v, p, what: "the recipient's address"), checkAddress(s, v, p) { to = s }
            case "tags":
                if let list = walker.sequence(v, p, what: "a list of tags") {
                    for (i, t) in list.enumerated() { if let s = walker.string(t, "\(p)[\(i)]") { tags.append(s) } }
                }
            default: break
            }
        }
        for (key, value) in [("from", from), ("to", to)] where value == nil && !pairs.contains(where: { $0.0 == key }) {
            walker.error(node, join(path, key), "missing key `\(key)`", expected: "an email address")
        }
        guard let from, let to else { return nil }
        return RouteSpec(
            from: from, to: to, location: walker.location(node), tags: tags, localServers: local, remoteServers: remote)
    }
}
