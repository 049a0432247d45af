using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class PromotionsWorkflow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PromotionPolicies",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ProjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AliasName = table.Column<string>(type: "TEXT", unicode: false, maxLength: 128, nullable: false),
                    RequiredApprovals = table.Column<int>(type: "INTEGER", nullable: false),
                    ApproverRole = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    RequireValidation = table.Column<bool>(type: "INTEGER", nullable: false),
                    RequireCompareReport = table.Column<bool>(type: "INTEGER", nullable: false),
                    RequiredSourceAlias = table.Column<string>(type: "TEXT", unicode: false, maxLength: 128, nullable: true),
                    UpdatedById = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PromotionPolicies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PromotionPolicies_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PromotionRequests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ProjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ArtifactId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AliasName = table.Column<string>(type: "TEXT", unicode: false, maxLength: 128, nullable: false),
                    VersionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ExpectedFromVersionId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    RequestedById = table.Column<string>(type: "TEXT", nullable: false),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Emergency = table.Column<bool>(type: "INTEGER", nullable: false),
                    ReviewedById = table.Column<string>(type: "TEXT", nullable: true),
                    ReviewedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AppliedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PromotionRequests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PromotionRequests_Artifacts_ArtifactId",
                        column: x => x.ArtifactId,
                        principalTable: "Artifacts",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_PromotionRequests_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PromotionApprovals",
                columns: table => new
                {
                    RequestId = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PromotionApprovals", x => new { x.RequestId, x.UserId });
                    table.ForeignKey(
                        name: "FK_PromotionApprovals_PromotionRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "PromotionRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PromotionComments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RequestId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AuthorId = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", unicode: false, maxLength: 16, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PromotionComments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PromotionComments_PromotionRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "PromotionRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PromotionComments_RequestId_Id",
                table: "PromotionComments",
                columns: new[] { "RequestId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_PromotionPolicies_ProjectId_AliasName",
                table: "PromotionPolicies",
                columns: new[] { "ProjectId", "AliasName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PromotionRequests_ArtifactId_AliasName_State",
                table: "PromotionRequests",
                columns: new[] { "ArtifactId", "AliasName", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_PromotionRequests_ProjectId_State_CreatedAt",
                table: "PromotionRequests",
                columns: new[] { "ProjectId", "State", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PromotionRequests_RequestedById_CreatedAt",
                table: "PromotionRequests",
                columns: new[] { "RequestedById", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PromotionApprovals");

            migrationBuilder.DropTable(
                name: "PromotionComments");

            migrationBuilder.DropTable(
                name: "PromotionPolicies");

            migrationBuilder.DropTable(
                name: "PromotionRequests");
        }
    }
}
