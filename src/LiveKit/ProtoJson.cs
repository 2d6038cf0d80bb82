using System.Globalization;
using System.Text.Json;

namespace DmVoice.LiveKit;

/// <summary>
/// Tolerant reading of protobuf JSON as LiveKit emits it: field names may be proto names (snake_case, Twirp
/// replies) or JSON names (camelCase, webhooks); int64 arrives as a string; enums arrive as their proto name
/// or as a number; zero values are usually omitted.
/// </summary>
internal static class ProtoJson
{
    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object)
        {
            if (obj.TryGetProperty(name, out value))
            {
                return true;
            }

            foreach (var property in obj.EnumerateObject())
            {
                if (NamesMatch(property.Name, name))
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <summary>"created_at", "createdAt" and "CreatedAt" all match: compare ignoring underscores and case.</summary>
    private static bool NamesMatch(string a, string b)
    {
        int i = 0, j = 0;
        while (true)
        {
            while (i < a.Length && a[i] == '_')
            {
                i++;
            }

            while (j < b.Length && b[j] == '_')
            {
                j++;
            }

            if (i == a.Length || j == b.Length)
            {
                return i == a.Length && j == b.Length;
            }

            if (char.ToLowerInvariant(a[i]) != char.ToLowerInvariant(b[j]))
            {
                return false;
            }

            i++;
            j++;
        }
    }

    public static string? GetString(JsonElement obj, string name) =>
        TryGet(obj, name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool GetBool(JsonElement obj, string name) =>
        TryGet(obj, name, out var v) && (v.ValueKind == JsonValueKind.True
            || (v.ValueKind == JsonValueKind.String && bool.TryParse(v.GetString(), out var b) && b));

    public static long GetInt64(JsonElement obj, string name)
    {
        if (!TryGet(obj, name, out var v))
        {
            return 0;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => 0,
        };
    }

    public static TEnum GetEnum<TEnum>(JsonElement obj, string name, TEnum fallback)
        where TEnum : struct, Enum
    {
        if (!TryGet(obj, name, out var v))
        {
            return fallback;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt32(out var n) =>
                Enum.IsDefined(typeof(TEnum), n) ? (TEnum)Enum.ToObject(typeof(TEnum), n) : fallback,
            JsonValueKind.String => ProtoEnum.Parse(v.GetString(), fallback),
            _ => fallback,
        };
    }

    public static IEnumerable<JsonElement> GetArray(JsonElement obj, string name) =>
        TryGet(obj, name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static IReadOnlyDictionary<string, string> GetStringMap(JsonElement obj, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (TryGet(obj, name, out var v) && v.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in v.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    map[property.Name] = property.Value.GetString()!;
                }
            }
        }

        return map;
    }

    public static DateTimeOffset? FromUnixSeconds(long seconds) =>
        seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}

internal static class ProtoEnum
{
    /// <summary>
    /// Maps "CLIENT_INITIATED", "client_initiated", "ClientInitiated" or "1" to the C# member named like the
    /// proto value in PascalCase. Unknown names (values added to LiveKit later) fall back instead of throwing.
    /// </summary>
    public static TEnum Parse<TEnum>(string? text, TEnum fallback)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return Enum.IsDefined(typeof(TEnum), number) ? (TEnum)Enum.ToObject(typeof(TEnum), number) : fallback;
        }

        var compact = text.Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(candidate.ToString(), compact, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return fallback;
    }
}
