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

    /// <summary>Trims an optional display or group name; null or blank means none.</summary>
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

        return trimmed;
    }
}
