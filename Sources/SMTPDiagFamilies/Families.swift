import SMTPDiagRunner

/// The families of checks the command line knows, in the order their checks are planned. A new family is one
/// file in this folder and one line here.
public enum Families {
    public static let builtin = FamilyRegistry([
        NSFamily.self
    ])
}
