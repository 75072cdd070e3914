import Foundation

/// The draft-07 JSON Schema of spec format v1, built from the same key lists the loader uses, so the
/// two cannot drift apart. `smtpdiag-spec schema` prints it; schema/smtpdiag-spec.schema.json is a copy.
public enum SpecSchema {
    /// The schema with the keys of `families` under each domain.
    public static func json(families: [any SpecFamily.Type] = []) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: document(families: families), options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The parts of the schema a family's fragment may use: `SpecSchema.ref("recordSet")`, `boolean`, ...
    public static func reference(_ definition: String) -> [String: Any] { ref(definition) }
    /// An array of a definition's values.
    public static func list(of definition: String) -> [String: Any] { ["type": "array", "items": ref(definition)] }
    public static var booleanValue: [String: Any] { boolean }
    public static func integerValue(_ minimum: Int, _ maximum: Int) -> [String: Any] { integer(minimum, maximum) }
    public static func objectValue(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        object(properties, required: required)
    }

    /// `${NAME}` or `${NAME:-default}` may stand for any scalar.
    static var variable: [String: Any] { ["type": "string", "pattern": "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}"] }

    static func integer(_ minimum: Int, _ maximum: Int) -> [String: Any] {
        ["anyOf": [["type": "integer", "minimum": minimum, "maximum": maximum], variable]]
    }

    static var boolean: [String: Any] { ["anyOf": [["type": "boolean"], variable]] }

    static func object(_ properties: [String: Any], required: [String] = [], description: String? = nil) -> [String:
        Any]
    {
        var o: [String: Any] = ["type": "object", "additionalProperties": false, "properties": properties]
        if !required.isEmpty { o["required"] = required }
        if let description { o["description"] = description }
        return o
    }

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/definitions/\(name)"] }

    static func strings(minItems: Int = 1) -> [String: Any] {
        ["type": "array", "items": ["type": "string"], "minItems": minItems]
    }

    static var definitions: [String: Any] {
        let smtpSettings: [String: Any] = [
            "port": integer(1, 65535),
            "helo": ["type": "string", "pattern": "^[^\\s]+$"],
            "mail_from": ["type": "string", "pattern": "^([^\\s<>@]+@[^\\s<>@]+)?$|\\$\\{"],
            "connect_timeout": ref("duration"), "banner_timeout": ref("duration"), "command_timeout": ref("duration"),
            "starttls": ["anyOf": [["enum": ["required", "optional", "off"]], ["const": false], variable]],
            "tls_verify": boolean,
            "tls_ca_file": ["type": "string"],
            "tls_min_version": [
                "description": "the oldest TLS version offered (default 1.2)",
                "anyOf": [["enum": ["1.0", "1.1", "1.2", "1.3"]], ["enum": [1.0, 1.1, 1.2, 1.3]], variable],
            ],
        ]
        var domainSMTP = smtpSettings
        domainSMTP["hosts"] = [
            "description": "mx (every address of every MX exchange), or a list of name, name:port, ip, [ipv6]:port",
            "anyOf": [["const": "mx"], ["type": "array", "items": ["type": "string"], "minItems": 1]],
        ]
        domainSMTP["expect"] = ref("expect")
        let recordSetObject = object(
            [
                "equals": strings(minItems: 0), "contains": strings(), "excludes": strings(),
                "count": ref("number"), "absent": ["anyOf": [["const": true], variable]], "ttl": ref("number"),
            ])
        var record = recordSetObject
        var recordProperties = recordSetObject["properties"] as? [String: Any] ?? [:]
        recordProperties["name"] = ["type": "string", "minLength": 1]
        recordProperties["type"] = ["type": "string", "pattern": "^([A-Za-z0-9]+|TYPE[0-9]+)$"]
        record["properties"] = recordProperties
        record["required"] = ["name", "type"]
        return [
            "duration": ["type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h)|\\$\\{.*\\})$"],
            "number": [
                "description": "an integer (exact) or {min, max}",
                "anyOf": [
                    ["type": "integer", "minimum": 0], variable,
                    object(["min": ["type": "integer", "minimum": 0], "max": ["type": "integer", "minimum": 0]]),
                ],
            ],
            "recordSet": [
                "description": "a list (the exact set) or a mapping of equals, contains, excludes, count, absent, ttl",
                "anyOf": [strings(minItems: 0), recordSetObject],
            ],
            "mxSet": [
                "anyOf": [
                    ["type": "array", "items": ["type": "string", "pattern": "^\\s*[0-9]+\\s+\\S+\\s*$"]],
                    recordSetObject,
                ]
            ],
            "code": [
                "anyOf": [
                    ["type": "integer", "minimum": 200, "maximum": 599],
                    ["type": "string", "pattern": "^([2-5]xx|[2-5][0-9][0-9])$"], variable,
                    ["type": "array", "items": ["type": "integer", "minimum": 200, "maximum": 599], "minItems": 1],
                ]
            ],
            "reply": [
                "description": "250, \"2xx\", [250, 251] or {code, enhanced, text}",
                "anyOf": [
                    ref("code"),
                    object(
                        [
                            "code": ref("code"),
                            "enhanced": ["type": "string", "pattern": "^[245]\\.[0-9]{1,3}\\.[0-9]{1,3}$"],
                            "text": ["type": "string"],
                        ]),
                ],
            ],
            "dns": object(
                [
                    "servers": strings(),
                    "transports": ["type": "array", "items": ["enum": ["udp", "tcp"]], "minItems": 1],
                    "timeout": ref("duration"), "retries": integer(0, 10),
                ]),
            "smtpSettings": object(smtpSettings),
            "domainSMTP": object(domainSMTP),
            "expect": object(
                [
                    "banner": ref("reply"), "ehlo": ref("reply"), "starttls": ref("reply"), "mail_from": ref("reply"),
                    "quit": ref("reply"),
                    "extensions": ["type": "array", "items": ["type": "string", "pattern": "^[A-Za-z0-9-]+$"]],
                    "rcpt": ["type": "object", "additionalProperties": ref("reply")],
                ]),
            "record": record,
            "domain": object(
                [
                    "tags": ["type": "array", "items": ["type": "string"]], "dns": ref("dns"),
                ]),
            "route": object(
                [
                    "from": ["type": "string", "pattern": "^[^\\s<>@]+@[^\\s<>@]+$"],
                    "to": ["type": "string", "pattern": "^[^\\s<>@]+@[^\\s<>@]+$"],
                    "tags": ["type": "array", "items": ["type": "string"]],
                    "local_dns": strings(), "remote_dns": strings(),
                ], required: ["from", "to"]),
        ]
    }

    static func document(families: [any SpecFamily.Type]) -> [String: Any] {
        var definitions = definitions
        if var domain = definitions["domain"] as? [String: Any], var properties = domain["properties"] as? [String: Any]
        {
            for f in families where f.scope == .domain { properties[f.key] = f.schema().json }
            domain["properties"] = properties
            definitions["domain"] = domain
        }
        var document = documentWith(definitions)
        if var top = document["properties"] as? [String: Any] {
            for f in families where f.scope == .file { top[f.key] = f.schema().json }
            document["properties"] = top
        }
        return document
    }

    static func documentWith(_ definitions: [String: Any]) -> [String: Any] {
        [
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": "https://smtpdiag-spec.invalid/schema/v1/smtpdiag-spec.schema.json",
            "title": "smtpdiag-spec spec file, format version 1",
            "type": "object",
            "additionalProperties": false,
            "required": ["version"],
            "properties": [
                "version": ["const": 1],
                "dns_servers": [
                    "type": "object",
                    "description":
                        "named servers: ADDRESS, ADDRESS:PORT or [IPv6]:PORT (port 53 by default), or {zones: DIR}",
                    "propertyNames": ["not": ["enum": SpecKeys.predefinedServers]],
                    "additionalProperties": [
                        "oneOf": [
                            ["type": "string"],
                            object(["zones": ["type": "string"]], required: ["zones"]),
                        ]
                    ],
                ],
                "defaults": object(["dns": ref("dns"), "smtp": ref("smtpSettings")]),
                "domains": ["type": "object", "additionalProperties": ref("domain")],
            ],
            "definitions": definitions,
        ]
    }
}
