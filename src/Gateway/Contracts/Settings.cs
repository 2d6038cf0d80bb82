namespace DmVoice.Gateway.Contracts;

/// <summary>PUT /me/status.</summary>
public sealed record SetStatusRequest(string? Status);

/// <summary>GET and PUT /me/status: the status I chose (online, idle, dnd or invisible).</summary>
public sealed record MyStatus(string Status);

/// <summary>GET and PUT /me/privacy: who may invite me to voice channels (<c>everyone</c> or <c>nobody</c>).</summary>
public sealed record MyPrivacy(string? ChannelInvites);

/// <summary>GET /me/voice-channel-invites: the channels that invited me and wait for my answer, oldest first.</summary>
public sealed record ChannelInviteList(IReadOnlyList<ChannelInvite> Invites);

/// <summary>GET /me/blocks: everyone I block, most recent first.</summary>
public sealed record BlockList(IReadOnlyList<BlockedUser> Blocks);

/// <summary>PUT /dm-groups/{id}/settings. <c>Muted</c> is required; <c>MutedUntil</c> only with <c>muted: true</c>.</summary>
public sealed record DmSettingsRequest(bool? Muted, DateTimeOffset? MutedUntil);

/// <summary>One member of a DM as others see them: the name from their own token (null until seen) and their status.</summary>
public sealed record DmMember(string UserId, string? DisplayName, string Status);

/// <summary>GET /dm-groups/{id}/members.</summary>
public sealed record DmMemberList(string DmGroupId, IReadOnlyList<DmMember> Members);

/// <summary>One DM in my list: the group, its latest activity, and whether I muted it.</summary>
public sealed record DmGroupListItem(
    string Id,
    string? Name,
    string OwnerId,
    IReadOnlyList<string> MemberIds,
    DateTimeOffset CreatedAt,
    bool IsGroup,
    DateTimeOffset LastActivityAt,
    bool Muted,
    DateTimeOffset? MutedUntil);

/// <summary>GET /dm-groups: a page of my DMs, newest activity first. Pass <c>nextCursor</c> as <c>cursor</c> for the next page.</summary>
public sealed record DmGroupPage(IReadOnlyList<DmGroupListItem> DmGroups, string? NextCursor);
