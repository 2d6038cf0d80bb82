using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace DmVoice.Gateway.Endpoints;

internal static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>The page size asked for (1 to 100, 50 when not given); 422 otherwise.</summary>
    public static int Size(int? limit)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            throw DmVoiceException.Validation($"'limit' must be 1..{MaxPageSize}.");
        }

        return limit ?? DefaultPageSize;
    }

    /// <summary>The opaque string clients pass back as <c>cursor</c>.</summary>
    public static string Encode(DmCursor cursor) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"1:{cursor.LastActivityAt.UtcTicks}:{cursor.DmGroupId}")));

    /// <summary>A cursor this API gave out, or null when none was given; 400 for anything else.</summary>
    public static DmCursor? Decode(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':', 3);
            if (parts.Length == 3 && parts[0] == "1"
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks
                && Validate.IsValidId(parts[2]))
            {
                return new DmCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[2]);
            }
        }
        catch (FormatException)
        {
            // Falls through to the problem below.
        }

        throw NotACursor();
    }

    /// <summary>The opaque cursor of a page of channels: the last channel id of the page.</summary>
    public static string EncodeChannel(string lastChannelId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes("c1:" + lastChannelId));

    /// <summary>A channel cursor this API gave out, or null when none was given; 400 for anything else.</summary>
    public static string? DecodeChannel(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.StartsWith("c1:", StringComparison.Ordinal) && Validate.IsValidId(text[3..]))
            {
                return text[3..];
            }
        }
        catch (FormatException)
        {
            // Falls through to the problem below.
        }

        throw NotACursor();
    }

    private static DmVoiceException NotACursor() =>
        new(ErrorCodes.MalformedRequest, "'cursor' is not a cursor this API gave out; pass nextCursor unchanged.");
}
