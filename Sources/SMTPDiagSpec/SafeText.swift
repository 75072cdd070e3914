/// A YAML double-quoted string. Control characters are escapes (`\n`, `\x1b`, `\u202e`): YAML readers refuse
/// them raw, and a report or spec on a terminal must not carry a server's escape sequences. (TAP's YAML blocks,
/// and the specs `init` writes.)
public func yamlDoubleQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let v = u.value
            if v < 0x20 || (0x7F...0x9F).contains(v) {
                out += "\\x" + (v < 0x10 ? "0" : "") + String(v, radix: 16)
            } else if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029 {
                out += "\\u" + String(v, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Text from a server or a spec made safe for a terminal and for CI logs: control characters (C0, DEL, C1)
/// shown as `\n`, `\r`, `\t` or `\x1b`, and bidirectional-override characters as `\u{202e}`, so that no
/// byte chosen by a server can move the cursor, retitle the window, or start a line of its own (a line
/// starting with `::error` is a GitHub Actions annotation).
public func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        guard needsEscape(scalar) else {
            out.unicodeScalars.append(scalar)
            continue
        }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            out += scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{\(hex)}"
        }
    }
    return out
}

private func needsEscape(_ s: Unicode.Scalar) -> Bool {
    let v = s.value
    return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        || v == 0x2028 || v == 0x2029
}
