using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DmVoice.Gateway.Endpoints;

internal static class DmGroupEndpoints
{
    public static RouteGroupBuilder MapDmGroups(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/dm-groups").WithTags("DM groups");
        groups.MapPost("/", CreateAsync).WithSummary("Create a DM (a 1:1 DM that exists is returned with 200)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/", ListMineAsync).WithSummary("List my DMs, newest first");
        groups.MapGet("/{dmGroupId}", GetAsync).WithSummary("Get a DM")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        groups.MapPut("/{dmGroupId}/members/{userId}", AddMemberAsync).WithSummary("Add a member to a group DM")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        groups.MapDelete("/{dmGroupId}/members/{userId}", RemoveMemberAsync).WithSummary("Remove a member (the owner removes anyone, others themselves)")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
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
        var creation = await grains.GetGrain<IDmGroupGrain>(id).Create(me, others, name, isGroup);
        return creation.Created
            ? TypedResults.Created($"/dm-groups/{creation.Group.Id}", creation.Group)
            : TypedResults.Ok(creation.Group);
    }

    private static async Task<Ok<DmGroup[]>> ListMineAsync(HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        var ids = await grains.GetGrain<IUserDirectoryGrain>(me).GetDmIds();
        var groups = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IDmGroupGrain>(id).Get(me);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                return null; // Removed between the two reads.
            }
        }));
        return TypedResults.Ok(groups.OfType<DmGroup>().OrderByDescending(g => g.CreatedAt).ToArray());
    }

    private static async Task<Ok<DmGroup>> GetAsync(string dmGroupId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).Get(http.User.UserId()));

    private static async Task<Ok<DmGroup>> AddMemberAsync(string dmGroupId, string userId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).AddMember(http.User.UserId(), userId));

    private static async Task<Results<Ok<DmGroup>, NoContent>> RemoveMemberAsync(string dmGroupId, string userId, HttpContext http, IGrainFactory grains)
    {
        var group = await grains.GetGrain<IDmGroupGrain>(Validate.Id(dmGroupId, "dmGroupId")).RemoveMember(http.User.UserId(), userId);
        return group is null ? TypedResults.NoContent() : TypedResults.Ok(group);
    }
}
