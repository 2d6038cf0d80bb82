using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DmVoice.Gateway.Endpoints;

internal static class VoicePresenceEndpoints
{
    public static RouteGroupBuilder MapVoicePresence(this RouteGroupBuilder api)
    {
        var voice = api.MapGroup("/dm-groups/{dmGroupId}/voice-presence").WithTags("Voice presence");
        voice.MapGet("/", GetAsync).WithSummary("Who is in the DM's call and who is being rung")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        voice.MapPost("/join", JoinAsync).WithSummary("Join (or start, ringing the others) the DM's call; a second device takes the seat over")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        voice.MapDelete("/leave", LeaveAsync).WithSummary("Leave the DM's call")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        voice.MapPut("/state", UpdateStateAsync).WithSummary("Change mute / deafen / video / screen share")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);

        var me = api.MapGroup("/me").WithTags("Me");
        me.MapGet("/voice", GetMyVoiceAsync).WithSummary("My active call, every live call in my DMs and every live voice channel I may enter");
        return api;
    }

    private static async Task<Ok<CallPresence>> GetAsync(string dmGroupId, HttpContext http, IGrainFactory grains, StatusQuery statuses) =>
        TypedResults.Ok(await statuses.WithStatusesAsync(await grains.DmCall(dmGroupId).GetPresence(http.User.UserId())));

    private static async Task<Ok<JoinResult>> JoinAsync(
        string dmGroupId,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] JoinVoiceRequest? request,
        HttpContext http,
        IGrainFactory grains)
    {
        var join = VoiceRequests.Join(http.User, request);
        return TypedResults.Ok(await grains.GetGrain<IUserVoiceGrain>(http.User.UserId()).JoinDmCall(Validate.Id(dmGroupId, "dmGroupId"), join));
    }

    private static async Task<NoContent> LeaveAsync(string dmGroupId, HttpContext http, IGrainFactory grains, string? deviceId)
    {
        await grains.GetGrain<IUserVoiceGrain>(http.User.UserId()).LeaveDmCall(Validate.Id(dmGroupId, "dmGroupId"), VoiceRequests.Device(deviceId));
        return TypedResults.NoContent();
    }

    private static async Task<Ok<VoiceParticipant>> UpdateStateAsync(string dmGroupId, UpdateVoiceStateRequest request, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.DmCall(dmGroupId).UpdateState(http.User.UserId(), VoiceRequests.Patch(request), VoiceRequests.Device(request.DeviceId)));

    private static async Task<Ok<MyVoiceOverview>> GetMyVoiceAsync(HttpContext http, VoiceOverviewQuery overview) =>
        TypedResults.Ok(await overview.GetAsync(http.User.UserId()));
}
