namespace RestaurantOs.Realtime.Services;

/// <summary>
/// What a text field of an HTTP request may contain (docs/api.md, "Text fields"). Text that breaks the rule is
/// refused with 400 naming the field, never stripped: stripping would store something other than what the client
/// sent without telling it, and could join words or hide a change in a name ("A\u202EB"). Refused:
/// <list type="bullet">
/// <item>control characters (C0, DEL, C1); one-line fields allow none, multi-line fields (notes, instructions,
/// messages) allow tab, line feed and carriage return;</item>
/// <item>bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a name or
/// note display differently from its content;</item>
/// <item>unpaired surrogates (JSON escapes such as <c>\ud800</c>), which are not text.</item>
/// </list>
/// Everything else is kept, including markup (<c>&lt;script&gt;</c> is text: pages render it as text), right-to-left
/// scripts with their marks (U+200E, U+200F, U+061C) and zero-width joiners (needed by emoji and several scripts).
/// </summary>
public static class TextPolicy
{
    /// <summary>Null when <paramref name="value"/> is acceptable; otherwise the message for the field's error.</summary>
    public static string? Check(string value, bool multiLine)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return "must be valid Unicode text (it contains an unpaired surrogate).";
            }

            if (char.IsControl(c) && !(multiLine && c is '\t' or '\n' or '\r'))
            {
                return multiLine
                    ? $"must not contain control characters other than tab and line breaks (found U+{(int)c:X4})."
                    : $"must not contain control characters (found U+{(int)c:X4}).";
            }

            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
            {
                return $"must not contain bidirectional embedding, override or isolate characters (found U+{(int)c:X4}).";
            }
        }

        return null;
    }
}
