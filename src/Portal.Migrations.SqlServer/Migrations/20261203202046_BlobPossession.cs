using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class BlobPossession : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ProjectBlobs",
                columns: table => new
                {
                    ProjectId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    Digest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    Since = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProjectBlobs", x => new { x.ProjectId, x.Digest });
                    table.ForeignKey(
                        name: "FK_ProjectBlobs_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UserBlobs",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "nvarchar(450)", nullable: false),
                    Digest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    Since = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserBlobs", x => new { x.UserId, x.Digest });
                    table.ForeignKey(
                        name: "FK_UserBlobs_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ProjectBlobs_Digest",
                table: "ProjectBlobs",
                column: "Digest");

            migrationBuilder.CreateIndex(
                name: "IX_UserBlobs_Digest",
                table: "UserBlobs",
                column: "Digest");

            // Every blob a committed version names is held by the version's project from the start, so existing
            // versions keep working; what a project never named must now be uploaded into it.
            migrationBuilder.Sql(@"INSERT INTO [ProjectBlobs] ([ProjectId], [Digest], [Since])
SELECT a.[ProjectId], e.[Digest], MIN(COALESCE(v.[CommittedAt], v.[CreatedAt]))
FROM [ArtifactVersions] v
JOIN [Artifacts] a ON a.[Id] = v.[ArtifactId]
JOIN [VersionRanges] vr ON vr.[VersionId] = v.[Id]
JOIN [RangeEntries] e ON e.[RangeDigest] = vr.[RangeDigest]
WHERE v.[State] = N'Committed' AND e.[Ref] IS NULL
GROUP BY a.[ProjectId], e.[Digest];");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ProjectBlobs");

            migrationBuilder.DropTable(
                name: "UserBlobs");
        }
    }
}
