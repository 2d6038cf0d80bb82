namespace DmVoice.Abstractions;

/// <summary>A standing voice room with an access list, owned by its creator.</summary>
/// <param name="UserLimit">How many may be in voice at once: 0 is unlimited, else 1 to 99.</param>
/// <param name="InvitedIds">Users invited who have not answered yet: not members until they accept.</param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceChannel")]
public sealed record VoiceChannel(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string OwnerId,
    [property: Id(3)] IReadOnlyList<string> MemberIds,
    [property: Id(4)] int UserLimit,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] IReadOnlyList<string>? InvitedIds = null);

/// <summary>An invite to a voice channel waiting for the invited user's answer: what they see of the channel before accepting.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelInvite")]
public sealed record ChannelInvite(
    [property: Id(0)] string ChannelId,
    [property: Id(1)] string Name,
    [property: Id(2)] string OwnerId,
    [property: Id(3)] DateTimeOffset InvitedAt);

/// <summary>Whether a user takes voice channel invites (<c>channelInvites</c> in <c>/me/privacy</c>).</summary>
public static class ChannelInviteSettings
{
    /// <summary>Anyone who is not blocked may invite the user (the default).</summary>
    public const string Everyone = "everyone";

    /// <summary>Nobody may: inviting the user is refused with <see cref="ErrorCodes.CannotAddUser"/>.</summary>
    public const string Nobody = "nobody";

    public static IReadOnlyList<string> All { get; } = [Everyone, Nobody];

    public static bool IsValid(string? value) => value is Everyone or Nobody;
}

/// <summary>A change to a channel's name or user limit: null fields stay as they are.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceChannelPatch")]
public sealed record VoiceChannelPatch(
    [property: Id(0)] string? Name = null,
    [property: Id(1)] int? UserLimit = null);

/// <summary>Who is in a channel's voice. <c>CallId</c> is null while nobody is (and the empty grace has passed).</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelPresence")]
public sealed record ChannelPresence(
    [property: Id(0)] string ChannelId,
    [property: Id(1)] string? CallId,
    [property: Id(2)] DateTimeOffset? StartedAt,
    [property: Id(3)] IReadOnlyList<VoiceParticipant> Participants,
    [property: Id(4)] int UserLimit,
    [property: Id(5)] long Version,
    [property: Id(6)] IReadOnlyDictionary<string, string>? Statuses = null);

/// <summary>The answer to joining a channel's voice. <c>CallStarted</c>: the join made the channel live.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelJoinResult")]
public sealed record ChannelJoinResult(
    [property: Id(0)] string ChannelId,
    [property: Id(1)] string CallId,
    [property: Id(2)] bool CallStarted,
    [property: Id(3)] VoiceParticipant User,
    [property: Id(4)] long Version);

/// <summary>Limits of a voice channel.</summary>
public static class ChannelLimits
{
    /// <summary>The access list, owner included.</summary>
    public const int MaxMembers = 500;

    /// <summary>The highest user limit other than 0 (unlimited).</summary>
    public const int MaxUserLimit = 99;

    /// <summary>0 (unlimited) or 1..99; <see cref="ErrorCodes.ValidationFailed"/> otherwise.</summary>
    public static int ValidateUserLimit(int userLimit) =>
        userLimit is >= 0 and <= MaxUserLimit
            ? userLimit
            : throw DmVoiceException.Validation($"'userLimit' must be 0 (unlimited) to {MaxUserLimit}.");

    /// <summary>A channel's name: required, at most 100 printable characters.</summary>
    public static string ValidateName(string? name) =>
        Validate.OptionalName(name, "name") ?? throw DmVoiceException.Validation("'name' is required.");
}

/// <summary>Voice channel ids: <c>vc-</c> and 32 hex digits.</summary>
public static class ChannelIds
{
    public static string New() => "vc-" + Guid.NewGuid().ToString("N");
}

/// <summary>One page of a user's channel ids, in id order; <c>Next</c> is the last id when more follow.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelIdPage")]
public sealed record ChannelIdPage(
    [property: Id(0)] IReadOnlyList<string> ChannelIds,
    [property: Id(1)] string? Next);
