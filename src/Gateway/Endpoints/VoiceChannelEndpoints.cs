using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DmVoice.Gateway.Endpoints;

/// <summary>
/// Voice channels: standing rooms with an owner, an access list and a user limit. Their voice presence
/// mirrors a DM's (same participant shape, version rule and error codes), without ringing or history.
/// Naming a user invites them; they accept or decline (<c>/me/voice-channel-invites</c> lists theirs).
/// </summary>
internal static class VoiceChannelEndpoints
{
    public static RouteGroupBuilder MapVoiceChannels(this RouteGroupBuilder api)
    {
        var channels = api.MapGroup("/voice-channels").WithTags("Voice channels");
        channels.MapPost("/", CreateAsync).WithSummary("Create a voice channel owned by me; the users named are invited")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        channels.MapGet("/", ListMineAsync).WithSummary("A page of the voice channels I may enter")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
        channels.MapGet("/{channelId}", GetAsync).WithSummary("Get a voice channel")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        channels.MapPatch("/{channelId}", UpdateAsync).WithSummary("Rename a channel or change its user limit (owner)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        channels.MapDelete("/{channelId}", DeleteAsync).WithSummary("Delete a channel (owner); its voice ends for everyone")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        channels.MapPut("/{channelId}/members/{userId}", AddMemberAsync).WithSummary("Invite a user (owner): they get access once they accept")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        channels.MapDelete("/{channelId}/members/{userId}", RemoveMemberAsync).WithSummary("Take a user's access or invite away (owner), or give up my own (or decline); they leave its voice")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        channels.MapPost("/{channelId}/invite/accept", AcceptInviteAsync).WithSummary("Accept my invite: I become a member and see its voice")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        channels.MapPost("/{channelId}/invite/decline", DeclineInviteAsync).WithSummary("Decline my invite")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/me/voice-channel-invites", ListInvitesAsync).WithTags("Voice channels").WithSummary("The voice channel invites waiting for my answer, oldest first")
            .ProducesProblems();

        var voice = channels.MapGroup("/{channelId}/voice-presence").WithTags("Voice channels");
        voice.MapGet("/", GetPresenceAsync).WithSummary("Who is in the channel's voice")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        voice.MapPost("/join", JoinAsync).WithSummary("Join the channel's voice (leaving any other call); a second device takes the seat over")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        voice.MapDelete("/leave", LeaveAsync).WithSummary("Leave the channel's voice")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        voice.MapPut("/state", UpdateStateAsync).WithSummary("Change mute / deafen / video / screen share in the channel")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static IVoiceChannelGrain Channel(this IGrainFactory grains, string channelId) =>
        grains.GetGrain<IVoiceChannelGrain>(Validate.Id(channelId, "channelId"));

    private static async Task<Created<VoiceChannel>> CreateAsync(CreateVoiceChannelRequest request, HttpContext http, IGrainFactory grains)
    {
        var name = ChannelLimits.ValidateName(request.Name);
        var userLimit = ChannelLimits.ValidateUserLimit(request.UserLimit ?? 0);
        var memberIds = request.MemberIds ?? [];
        if (memberIds.Count > ChannelLimits.MaxMembers)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"A channel's access list holds at most {ChannelLimits.MaxMembers} members.");
        }

        foreach (var memberId in memberIds)
        {
            Validate.Id(memberId, "memberIds");
        }

        var id = ChannelIds.New();
        var channel = await grains.GetGrain<IVoiceChannelGrain>(id).Create(http.User.UserId(), name, memberIds, userLimit);
        return TypedResults.Created($"/voice-channels/{id}", channel);
    }

    private static async Task<Ok<VoiceChannelPage>> ListMineAsync(HttpContext http, IGrainFactory grains, int? limit, string? cursor)
    {
        var me = http.User.UserId();
        var page = await grains.GetGrain<IUserChannelsGrain>(me).GetPage(Paging.Size(limit), Paging.DecodeChannel(cursor));
        var channels = await Task.WhenAll(page.ChannelIds.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IVoiceChannelGrain>(id).Get(me);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.ChannelNotFound)
            {
                return null; // Lost access between the two reads.
            }
        }));
        return TypedResults.Ok(new VoiceChannelPage(channels.OfType<VoiceChannel>().ToArray(), page.Next is { } next ? Paging.EncodeChannel(next) : null));
    }

    private static async Task<Ok<VoiceChannel>> GetAsync(string channelId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Channel(channelId).Get(http.User.UserId()));

    private static async Task<Ok<VoiceChannel>> UpdateAsync(string channelId, UpdateVoiceChannelRequest request, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Channel(channelId).Update(http.User.UserId(), new VoiceChannelPatch(request.Name, request.UserLimit)));

    private static async Task<NoContent> DeleteAsync(string channelId, HttpContext http, IGrainFactory grains)
    {
        await grains.Channel(channelId).Delete(http.User.UserId());
        return TypedResults.NoContent();
    }

    private static async Task<Ok<VoiceChannel>> AddMemberAsync(string channelId, string userId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Channel(channelId).AddMember(http.User.UserId(), Validate.Id(userId, "userId")));

    private static async Task<Results<Ok<VoiceChannel>, NoContent>> RemoveMemberAsync(string channelId, string userId, HttpContext http, IGrainFactory grains)
    {
        var channel = await grains.Channel(channelId).RemoveMember(http.User.UserId(), Validate.Id(userId, "userId"));
        return channel is null ? TypedResults.NoContent() : TypedResults.Ok(channel);
    }

    private static async Task<Ok<VoiceChannel>> AcceptInviteAsync(string channelId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Channel(channelId).AcceptInvite(http.User.UserId()));

    private static async Task<NoContent> DeclineInviteAsync(string channelId, HttpContext http, IGrainFactory grains)
    {
        await grains.Channel(channelId).DeclineInvite(http.User.UserId());
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ChannelInviteList>> ListInvitesAsync(HttpContext http, IGrainFactory grains)
    {
        var me = http.User.UserId();
        var mine = grains.GetGrain<IUserChannelsGrain>(me);
        var ids = await mine.GetInvites();
        var invites = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IVoiceChannelGrain>(id).GetInvite(me);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.ChannelNotFound)
            {
                // Answered or gone between the two reads, or kept by a request that then failed: forgotten.
                mine.DropInvite(id).Ignore();
                return null;
            }
        }));
        return TypedResults.Ok(new ChannelInviteList(invites.OfType<ChannelInvite>().ToArray()));
    }

    private static async Task<Ok<ChannelPresence>> GetPresenceAsync(string channelId, HttpContext http, IGrainFactory grains, StatusQuery statuses)
    {
        var presence = await grains.Channel(channelId).GetPresence(http.User.UserId());
        return TypedResults.Ok((await statuses.WithStatusesAsync([presence]))[0]);
    }

    private static async Task<Ok<ChannelJoinResult>> JoinAsync(
        string channelId,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] JoinVoiceRequest? request,
        HttpContext http,
        IGrainFactory grains)
    {
        var join = VoiceRequests.Join(http.User, request);
        return TypedResults.Ok(await grains.GetGrain<IUserVoiceGrain>(http.User.UserId()).JoinChannel(Validate.Id(channelId, "channelId"), join));
    }

    private static async Task<NoContent> LeaveAsync(string channelId, HttpContext http, IGrainFactory grains, string? deviceId)
    {
        await grains.GetGrain<IUserVoiceGrain>(http.User.UserId()).LeaveChannel(Validate.Id(channelId, "channelId"), VoiceRequests.Device(deviceId));
        return TypedResults.NoContent();
    }

    private static async Task<Ok<VoiceParticipant>> UpdateStateAsync(string channelId, UpdateVoiceStateRequest request, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Channel(channelId).UpdateState(http.User.UserId(), VoiceRequests.Patch(request), VoiceRequests.Device(request.DeviceId)));
}
