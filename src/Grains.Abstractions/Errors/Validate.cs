using System.Diagnostics.CodeAnalysis;

namespace DmVoice.Abstractions;

/// <summary>Input rules shared by grains and gateway, so both reject the same things the same way.</summary>
public static class Validate
{
    public const int MaxIdLength = 128;
    public const int MaxNameLength = 100;

    /// <summary>Ids are 1..128 characters of <c>[A-Za-z0-9_.:-]</c>.</summary>
    public static bool IsValidId([NotNullWhen(true)] string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxIdLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or ':' or '-';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="ErrorCodes.ValidationFailed"/> unless <paramref name="value"/> is a valid id.</summary>
    public static string Id([NotNull] string? value, string field)
    {
        if (!IsValidId(value))
        {
            throw DmVoiceException.Validation(
                $"'{field}' must be 1..{MaxIdLength} characters of letters, digits, '_', '.', ':' or '-'.");
        }

        return value;
    }

    /// <summary>
    /// Trims an optional display, group or channel name; null or blank means none. Refused
    /// (<see cref="ErrorCodes.ValidationFailed"/>): more than <see cref="MaxNameLength"/> UTF-16 units, control
    /// characters, broken surrogate pairs, and invisible characters that make a name read other than it is
    /// (<see cref="IsHiddenCharacter"/>: bidi overrides, isolates and marks, zero-width spaces and joiners
    /// out of place). What is accepted comes back unchanged but for the trim.
    /// </summary>
    public static string? OptionalName(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            throw DmVoiceException.Validation($"'{field}' must be at most {MaxNameLength} printable characters.");
        }

        for (var i = 0; i < trimmed.Length; i++)
        {
            if (IsBrokenSurrogate(trimmed, i))
            {
                throw DmVoiceException.Validation($"'{field}' is not valid text (a broken surrogate pair).");
            }

            if (IsHiddenCharacter(trimmed, i))
            {
                throw DmVoiceException.Validation(
                    $"'{field}' must not contain bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) " +
                    $"or zero-width characters (U+{(int)trimmed[i]:X4} at {i}); zero-width joiners are allowed only inside emoji or between letters of scripts that need them.");
            }
        }

        return trimmed;
    }

    /// <summary>
    /// A name as it comes from a token (its <c>name</c> claim), made fit to show once and for all: hidden
    /// characters and broken surrogates are dropped, control characters become spaces, runs of white space
    /// one space, and the result is cut to <see cref="MaxNameLength"/> at a boundary between user-perceived
    /// characters (never inside a surrogate pair or a grapheme cluster). Null when nothing is left. The result
    /// always passes <see cref="OptionalName"/>, so a token's name can never make a join fail.
    /// </summary>
    public static string? NormalizeDisplayName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var kept = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsBrokenSurrogate(value, i) || IsHiddenCharacter(value, i))
            {
                continue;
            }

            var space = char.IsControl(c) || char.IsWhiteSpace(c);
            if (space)
            {
                if (kept.Length > 0 && kept[^1] != ' ')
                {
                    kept.Append(' ');
                }

                continue;
            }

            kept.Append(c);
        }

        var text = kept.ToString().Trim();

        // Dropping a character can leave a joiner out of place (e.g. its emoji was a broken pair): once more.
        while (text.Length > 0 && FirstHidden(text) is { } at)
        {
            text = text.Remove(at, 1).Trim();
        }

        if (text.Length > MaxNameLength)
        {
            var cut = 0;
            var elements = System.Globalization.StringInfo.GetTextElementEnumerator(text);
            while (elements.MoveNext())
            {
                var end = elements.ElementIndex + ((string)elements.Current).Length;
                if (end > MaxNameLength)
                {
                    break;
                }

                cut = end;
            }

            text = text[..cut].Trim();
            while (text.Length > 0 && FirstHidden(text) is { } at)
            {
                text = text.Remove(at, 1).Trim();
            }
        }

        return text.Length == 0 ? null : text;
    }

    /// <summary>
    /// Whether the character at <paramref name="index"/> is one that hides or reorders what a name shows: a
    /// bidirectional embedding, override, isolate or mark; a zero-width space, word joiner, invisible operator,
    /// Mongolian vowel separator or byte order mark; or a zero-width joiner or non-joiner out of place. A
    /// joiner (U+200D) is in place inside an emoji sequence (between two symbols), a non-joiner (U+200C)
    /// between two letters of a script other than Latin (Persian, Indic scripts need it).
    /// </summary>
    public static bool IsHiddenCharacter(string text, int index)
    {
        var c = text[index];
        switch (c)
        {
            case >= '\u202A' and <= '\u202E':
            case >= '\u2066' and <= '\u2069':
            case '\u200E' or '\u200F' or '\u061C':
            case '\u200B' or '\u2060' or '\uFEFF' or '\u180E':
            case >= '\u2061' and <= '\u2064':
                return true;
            case '\u200D':
                return !(index > 0 && index < text.Length - 1 && IsEmojiPart(text, index - 1) && IsEmojiPart(text, index + 1));
            case '\u200C':
                return !(index > 0 && index < text.Length - 1 && IsNonLatinLetter(text[index - 1]) && IsNonLatinLetter(text[index + 1]));
            default:
                return false;
        }
    }

    private static int? FirstHidden(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsHiddenCharacter(text, i))
            {
                return i;
            }
        }

        return null;
    }

    private static bool IsBrokenSurrogate(string text, int index) =>
        (char.IsHighSurrogate(text[index]) && (index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1])))
        || (char.IsLowSurrogate(text[index]) && (index == 0 || !char.IsHighSurrogate(text[index - 1])));

    /// <summary>A half of an astral character (most emoji), a symbol, or the emoji variation selector.</summary>
    private static bool IsEmojiPart(string text, int index)
    {
        var c = text[index];
        return char.IsSurrogate(c) || c == '\uFE0F'
            || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.OtherSymbol;
    }

    private static bool IsNonLatinLetter(char c) => c > '\u024F' && (char.IsLetter(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark);
}
