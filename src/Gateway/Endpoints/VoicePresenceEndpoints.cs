using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Mvc;

namespace DmVoice.Gateway.Endpoints;

internal static class VoicePresenceEndpoints
{
    public static RouteGroupBuilder MapVoicePresence(this RouteGroupBuilder api)
    {
        var voice = api.MapGroup("/dm-groups/{dmGroupId}/voice-presence").WithTags("Voice presence");
        voice.MapGet("/", GetAsync).WithSummary("Who is in the DM's call and who is being rung");
        voice.MapPost("/join", JoinAsync).WithSummary("Join (or start, ringing the others) the DM's call");
        voice.MapDelete("/leave", LeaveAsync).WithSummary("Leave the DM's call");
        voice.MapPut("/state", UpdateStateAsync).WithSummary("Change mute / deafen / video / screen share");

        var me = api.MapGroup("/me").WithTags("Me");
        me.MapGet("/voice", GetMyVoiceAsync).WithSummary("My active call and every live call in my DMs");
        return api;
    }

    private static async Task<CallPresence> GetAsync(string dmGroupId, HttpContext http, IGrainFactory grains, StatusQuery statuses) =>
        await statuses.WithStatusesAsync(await grains.DmCall(dmGroupId).GetPresence(http.User.UserId()));

    private static Task<JoinResult> JoinAsync(
        string dmGroupId,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] JoinVoiceRequest? request,
        HttpContext http,
        IGrainFactory grains)
    {
        var user = http.User;
        var join = new JoinRequest(user.DisplayName(), request?.IsMuted ?? false, request?.IsVideoEnabled ?? false);
        return grains.GetGrain<IUserVoiceGrain>(user.UserId()).JoinDmCall(Validate.Id(dmGroupId, "dmGroupId"), join);
    }

    private static async Task<IResult> LeaveAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        await grains.GetGrain<IUserVoiceGrain>(http.User.UserId()).LeaveDmCall(Validate.Id(dmGroupId, "dmGroupId"));
        return Results.NoContent();
    }

    private static Task<VoiceParticipant> UpdateStateAsync(string dmGroupId, UpdateVoiceStateRequest request, HttpContext http, IGrainFactory grains)
    {
        var patch = new VoiceStatePatch(request.IsMuted, request.IsDeafened, request.IsVideoEnabled, request.IsScreenSharing);
        if (patch.IsEmpty)
        {
            throw DmVoiceException.Validation("Give at least one of isMuted, isDeafened, isVideoEnabled, isScreenSharing.");
        }

        return grains.DmCall(dmGroupId).UpdateState(http.User.UserId(), patch);
    }

    private static Task<MyVoiceOverview> GetMyVoiceAsync(HttpContext http, VoiceOverviewQuery overview) =>
        overview.GetAsync(http.User.UserId());
}
