namespace DmVoice.Abstractions;

/// <summary>A 1:1 or group DM as members see it.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmGroup")]
public sealed record DmGroup(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Name,
    [property: Id(2)] string OwnerId,
    [property: Id(3)] IReadOnlyList<string> MemberIds,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] bool IsGroup);

/// <summary>The result of creating a DM: a 1:1 DM that already existed comes back with <c>Created = false</c>.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmGroupCreation")]
public sealed record DmGroupCreation(
    [property: Id(0)] DmGroup Group,
    [property: Id(1)] bool Created);

/// <summary>Limits of a DM, as in Discord: group DMs hold at most ten people.</summary>
public static class DmLimits
{
    public const int MinMembers = 2;
    public const int MaxMembers = 10;
}
