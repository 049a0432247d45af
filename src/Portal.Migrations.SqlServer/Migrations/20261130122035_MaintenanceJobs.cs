using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class MaintenanceJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "UnreferencedSince",
                table: "StoredBlobs",
                type: "datetimeoffset",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "MaintenanceRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Job = table.Column<string>(type: "varchar(32)", unicode: false, maxLength: 32, nullable: false),
                    Trigger = table.Column<string>(type: "varchar(16)", unicode: false, maxLength: 16, nullable: false),
                    RequestedById = table.Column<string>(type: "nvarchar(max)", nullable: true),
                    State = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "int", nullable: false),
                    QueuedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: true),
                    Examined = table.Column<long>(type: "bigint", nullable: false),
                    Affected = table.Column<long>(type: "bigint", nullable: false),
                    Error = table.Column<string>(type: "nvarchar(4000)", maxLength: 4000, nullable: true),
                    DetailsJson = table.Column<string>(type: "nvarchar(max)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MaintenanceRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RetentionPolicies",
                columns: table => new
                {
                    ProjectId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    ArtifactType = table.Column<string>(type: "varchar(64)", unicode: false, maxLength: 64, nullable: false),
                    KeepDays = table.Column<int>(type: "int", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    UpdatedById = table.Column<string>(type: "nvarchar(max)", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetentionPolicies", x => new { x.ProjectId, x.ArtifactType });
                    table.ForeignKey(
                        name: "FK_RetentionPolicies_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VersionIntegrityFlags",
                columns: table => new
                {
                    VersionId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    Digest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "nvarchar(1024)", maxLength: 1024, nullable: false),
                    Problem = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: false),
                    DetectedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false),
                    RunId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VersionIntegrityFlags", x => new { x.VersionId, x.Digest });
                    table.ForeignKey(
                        name: "FK_VersionIntegrityFlags_ArtifactVersions_VersionId",
                        column: x => x.VersionId,
                        principalTable: "ArtifactVersions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StoredBlobs_VerifiedAt",
                table: "StoredBlobs",
                column: "VerifiedAt");

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceRuns_Job_QueuedAt",
                table: "MaintenanceRuns",
                columns: new[] { "Job", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceRuns_QueuedAt",
                table: "MaintenanceRuns",
                column: "QueuedAt");

            migrationBuilder.CreateIndex(
                name: "IX_VersionIntegrityFlags_Digest",
                table: "VersionIntegrityFlags",
                column: "Digest");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MaintenanceRuns");

            migrationBuilder.DropTable(
                name: "RetentionPolicies");

            migrationBuilder.DropTable(
                name: "VersionIntegrityFlags");

            migrationBuilder.DropIndex(
                name: "IX_StoredBlobs_VerifiedAt",
                table: "StoredBlobs");

            migrationBuilder.DropColumn(
                name: "UnreferencedSince",
                table: "StoredBlobs");
        }
    }
}
