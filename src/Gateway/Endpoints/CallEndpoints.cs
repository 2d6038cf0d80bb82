using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace DmVoice.Gateway.Endpoints;

internal static class CallEndpoints
{
    public static RouteGroupBuilder MapCalls(this RouteGroupBuilder api)
    {
        var call = api.MapGroup("/dm-groups/{dmGroupId}").WithTags("Ringing and history");
        call.MapPost("/call/ring", RingAsync).WithSummary("Ring members again (default: everyone not in the call and not ringing)");
        call.MapPost("/call/decline", DeclineAsync).WithSummary("Decline the ring on all my devices; the caller is told");
        call.MapPost("/call/dismiss", DismissAsync).WithSummary("Silence the ring on all my devices; not a decline");
        call.MapPost("/call/stop-ringing", StopRingingAsync).WithSummary("Stop ringing the given members");
        call.MapGet("/calls", HistoryAsync).WithSummary("Finished calls, newest first");

        api.MapGet("/me/missed-calls", MissedCallsAsync).WithTags("Me").WithSummary("Calls I missed across my DMs, newest first");
        return api;
    }

    private static async Task<object> RingAsync(
        string dmGroupId,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RingRequest? request,
        HttpContext http,
        IGrainFactory grains)
    {
        var ringing = await grains.DmCall(dmGroupId).Ring(http.User.UserId(), request?.RecipientIds);
        return new { dmGroupId, ringing };
    }

    private static async Task<IResult> DeclineAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).Decline(http.User.UserId());
        return Results.NoContent();
    }

    private static async Task<IResult> DismissAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).Dismiss(http.User.UserId());
        return Results.NoContent();
    }

    private static async Task<IResult> StopRingingAsync(string dmGroupId, StopRingingRequest request, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).StopRinging(http.User.UserId(), request.RecipientIds ?? []);
        return Results.NoContent();
    }

    private static async Task<CallHistoryPage> HistoryAsync(string dmGroupId, HttpContext http, IGrainFactory grains, int? limit, DateTimeOffset? before)
    {
        var size = Paging.Size(limit);
        var calls = await grains.DmCall(dmGroupId).GetHistory(http.User.UserId(), size, before);
        return new CallHistoryPage(calls, calls.Count == size ? calls[^1].StartedAt : null);
    }

    private static async Task<CallHistoryPage> MissedCallsAsync(HttpContext http, IGrainFactory grains, DateTimeOffset? since, int? limit)
    {
        var size = Paging.Size(limit);
        var calls = await grains.GetGrain<IUserDirectoryGrain>(http.User.UserId()).GetMissedCalls(since, size);
        return new CallHistoryPage(calls, null);
    }
}
