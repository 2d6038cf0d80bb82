using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DmVoice.Gateway.Endpoints;

internal static class DmGroupEndpoints
{
    public static RouteGroupBuilder MapDmGroups(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/dm-groups").WithTags("DM groups");
        groups.MapPost("/", CreateAsync).WithSummary("Create a DM (a 1:1 DM that exists is returned with 200)")
            .Produces<DmGroup>(StatusCodes.Status201Created).Produces<DmGroup>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/", ListMineAsync).WithSummary("A page of my DMs, newest activity first")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/{dmGroupId}", GetAsync).WithSummary("Get a DM")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        groups.MapPut("/{dmGroupId}/members/{userId}", AddMemberAsync).WithSummary("Add a member to a group DM")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        groups.MapDelete("/{dmGroupId}/members/{userId}", RemoveMemberAsync).WithSummary("Remove a member (the owner removes anyone, others themselves)")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/{dmGroupId}/members", MembersAsync).WithSummary("The DM's members with the status others see")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/{dmGroupId}/settings", GetSettingsAsync).WithSummary("My own settings for this DM")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        groups.MapPut("/{dmGroupId}/settings", SetSettingsAsync).WithSummary("Mute or unmute this DM for myself (its rings become silent for me)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Results<Created<DmGroup>, Ok<DmGroup>>> CreateAsync(CreateDmGroupRequest request, HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        if (request.MemberIds is not { Count: > 0 } requested)
        {
            throw DmVoiceException.Validation("'memberIds' must list at least one other user.");
        }

        if (requested.Count > DmLimits.MaxMembers)
        {
            throw new DmVoiceException(ErrorCodes.DmFull, $"A DM holds at most {DmLimits.MaxMembers} members.");
        }

        foreach (var memberId in requested)
        {
            Validate.Id(memberId, "memberIds");
        }

        var others = requested.Where(id => id != me).Distinct(StringComparer.Ordinal).ToArray();
        if (others.Length == 0)
        {
            throw DmVoiceException.Validation("'memberIds' must list at least one user other than you.");
        }

        var name = Validate.OptionalName(request.Name, "name");
        var isGroup = others.Length > 1 || name is not null;
        var id = isGroup ? DmGroupIds.NewGroup() : DmGroupIds.ForPair(me, others[0]);
        var group = grains.GetGrain<IDmGroupGrain>(id);
        if (await AnyBlocksAsync(grains, others, me))
        {
            if (isGroup)
            {
                throw CannotDm();
            }

            // A 1:1 DM the two already have stays theirs; only a new one is refused.
            return TypedResults.Ok(await ExistingOrRefusedAsync(group, me));
        }

        var creation = await group.Create(me, others, name, isGroup);
        return creation.Created
            ? TypedResults.Created($"/dm-groups/{creation.Group.Id}", creation.Group)
            : TypedResults.Ok(creation.Group);
    }

    private static async Task<Ok<DmGroupPage>> ListMineAsync(HttpContext http, IGrainFactory grains, int? limit, string? cursor)
    {
        var me = http.User.UserId();
        var size = Paging.Size(limit);
        var page = await grains.GetGrain<IUserDirectoryGrain>(me).GetDmPage(size, Paging.Decode(cursor));
        var ids = page.Entries.Select(e => e.DmGroupId).ToArray();
        var settings = grains.GetGrain<IUserSettingsGrain>(me).GetDmSettings(ids);
        var groups = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IDmGroupGrain>(id).Get(me);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                return null; // Left between the two reads.
            }
        }));
        var mine = await settings;
        var items = new List<DmGroupListItem>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (groups[i] is { } g)
            {
                items.Add(new DmGroupListItem(
                    g.Id, g.Name, g.OwnerId, g.MemberIds, g.CreatedAt, g.IsGroup, page.Entries[i].LastActivityAt, mine[i].Muted, mine[i].MutedUntil));
            }
        }

        return TypedResults.Ok(new DmGroupPage(items, page.Next is { } next ? Paging.Encode(next) : null));
    }

    private static async Task<Ok<DmGroup>> GetAsync(string dmGroupId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).Get(http.User.UserId()));

    private static async Task<Ok<DmGroup>> AddMemberAsync(string dmGroupId, string userId, HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        var group = grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId"));
        Validate.Id(userId, "userId");

        // Members only (dm_not_found for anyone else) before anything else is revealed.
        var current = await group.Get(me);
        if (!current.MemberIds.Contains(userId) && await AnyBlocksAsync(grains, [userId], me))
        {
            throw CannotDm();
        }

        return TypedResults.Ok(await group.AddMember(me, userId));
    }

    private static async Task<Results<Ok<DmGroup>, NoContent>> RemoveMemberAsync(string dmGroupId, string userId, HttpContext http, IGrainFactory grains)
    {
        var group = await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).RemoveMember(http.User.UserId(), userId);
        return group is null ? TypedResults.NoContent() : TypedResults.Ok(group);
    }

    private static async Task<Ok<DmMemberList>> MembersAsync(string dmGroupId, HttpContext http, IGrainFactory grains, StatusQuery statuses)
    {
        var group = await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).Get(http.User.UserId());
        return TypedResults.Ok(new DmMemberList(group.Id, await statuses.MembersAsync(group.MemberIds)));
    }

    private static async Task<Ok<DmSettings>> GetSettingsAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).Get(me);
        var settings = await grains.GetGrain<IUserSettingsGrain>(me).GetDmSettings([dmGroupId]);
        return TypedResults.Ok(settings[0]);
    }

    private static async Task<Ok<DmSettings>> SetSettingsAsync(string dmGroupId, DmSettingsRequest request, HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).Get(me);
        if (request.Muted is not { } muted)
        {
            throw DmVoiceException.Validation("'muted' is required: true or false.");
        }

        return TypedResults.Ok(await grains.GetGrain<IUserSettingsGrain>(me).SetDmSettings(dmGroupId, muted, request.MutedUntil));
    }

    /// <summary>Whether any of <paramref name="userIds"/> blocks <paramref name="me"/>.</summary>
    private static async Task<bool> AnyBlocksAsync(IGrainFactory grains, IEnumerable<string> userIds, string me)
    {
        var answers = await Task.WhenAll(userIds.Select(id => grains.GetGrain<IUserSettingsGrain>(id).IsBlocking(me)));
        return answers.Any(blocks => blocks);
    }

    private static async Task<DmGroup> ExistingOrRefusedAsync(IDmGroupGrain group, string me)
    {
        try
        {
            return await group.Get(me);
        }
        catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
        {
            throw CannotDm();
        }
    }

    /// <summary>The same answer whatever the reason, so that it reveals no more than that.</summary>
    private static DmVoiceException CannotDm() =>
        new(ErrorCodes.CannotDmUser, "You cannot open a DM with this user, or add them to one.");
}
