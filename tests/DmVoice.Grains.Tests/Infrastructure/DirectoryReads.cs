namespace DmVoice.Tests.Infrastructure;

/// <summary>A user's DMs as their client lists them: page after page of the directory, newest activity first.</summary>
public static class DirectoryReads
{
    public static async Task<IReadOnlyList<string>> ListedDmIdsAsync(this IUserDirectoryGrain directory)
    {
        var ids = new List<string>();
        DmCursor? cursor = null;
        do
        {
            var page = await directory.GetDmPage(100, cursor);
            ids.AddRange(page.Entries.Select(e => e.DmGroupId));
            cursor = page.Next;
        }
        while (cursor is not null);

        return ids;
    }
}
